import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import {
  DeliveryError,
  type ChannelCapabilities,
  type ChannelSender,
  type SendOptions,
  type SendReceipt,
} from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { plainText } from '../../core/html-text.js';
import { tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import type { Db } from '../../db/client.js';
import { accounts, type Account } from '../../db/schema/index.js';
import {
  MAX_TEXT,
  mediaMessage,
  renderOutbound,
  splitText,
  zaloCapabilities,
  type ZaloMessage,
} from './outbound-render.js';
import { ZaloTokenMissingError, type ZaloTokenStore } from './token-store.js';
import { MAX_IMAGE_BYTES, ZaloApiError, ZaloTransportError, type ZaloApi } from './zalo-api.js';

type ZaloConfig = NonNullable<Config['zalo']>;

/** Zalo error codes the sender acts on (Open API; HTTP 200 with a non-zero `error`). */
export const ZaloCode = {
  invalidToken: -216,
  expiredToken: -220,
  outsideWindow: -230,
  rateLimited: -32,
  notFollower: -213,
  userGone: -227,
  quotaExceeded: -211,
  oaSendLimit: -218,
} as const;

const CS_PATH = '/v3.0/oa/message/cs';
const TEMPLATE_PATH = '/v3.0/oa/message/template';

/**
 * Sends Outbound messages to a Zalo follower as consultation messages. Outside the interaction window
 * (tracked from accounts.lastInboundAt, or Zalo's -230), proactive messages go as the approved template
 * when one is configured, and are otherwise undeliverable: Zalo would refuse them anyway.
 */
export class ZaloSender implements ChannelSender {
  readonly name = 'zalo' as const;
  readonly label = 'Zalo';
  readonly capabilities: ChannelCapabilities;
  readonly ratePerSecond: number;

  constructor(
    private readonly db: Db,
    private readonly api: ZaloApi,
    private readonly tokens: ZaloTokenStore,
    private readonly config: ZaloConfig,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {
    this.ratePerSecond = config.ratePerMinute / 60;
    this.capabilities = zaloCapabilities(config);
  }

  async send(externalId: string, messages: Outbound[], opts: SendOptions = {}): Promise<SendReceipt> {
    const account = await this.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, externalId)),
    });
    if (account?.unreachableAt)
      throw new DeliveryError('unreachable', `zalo account unreachable: ${account.unreachableReason ?? 'unknown'}`);
    if (opts.proactive && !this.insideWindow(account)) return this.sendOutsideWindow(externalId, messages, account);
    const progress = { sent: 0 };
    try {
      return await this.sendConsultation(externalId, messages, account, progress);
    } catch (err) {
      if (err instanceof ZaloApiError && err.code === ZaloCode.outsideWindow) {
        if (opts.proactive && progress.sent === 0) return this.sendOutsideWindow(externalId, messages, account);
        throw new DeliveryError(
          'undeliverable',
          'Zalo -230: the person has not written to the OA within its interaction window',
        );
      }
      throw toDeliveryError(err).after(progress.sent);
    }
  }

  /** Zalo cannot edit a sent message: the new version is sent as a new message. */
  edit(externalId: string, _messageRef: string, message: Outbound): Promise<SendReceipt> {
    return this.send(externalId, [message], { proactive: true });
  }

  /** True when the person wrote to the OA within the configured window. */
  insideWindow(account: Account | undefined): boolean {
    if (!account?.lastInboundAt) return false;
    return this.clock.now().getTime() - account.lastInboundAt.getTime() < this.config.windowHours * 3_600_000;
  }

  private async sendConsultation(
    externalId: string,
    messages: Outbound[],
    account: Account | undefined,
    progress: { sent: number },
  ): Promise<SendReceipt> {
    const t = tFor(account?.locale ?? 'vi');
    const rendered = messages.map((m) =>
      renderOutbound(m, {
        buttonMode: this.config.buttonMode,
        requestInfo: this.config.requestInfoImageUrl
          ? { imageUrl: this.config.requestInfoImageUrl, subtitle: t('zalo:request_info_subtitle') }
          : undefined,
      }),
    );
    let messageRef: string | undefined;
    for (const r of rendered) {
      if (r.image) {
        if (r.image.png.length > MAX_IMAGE_BYTES)
          throw new DeliveryError('fatal', `image of ${r.image.png.length} bytes exceeds Zalo's 1 MB`);
        // Text chunks that did not fit the caption go first, so the reading order stays the same.
        const withButtons = r.messages.at(-1)?.attachment ? r.messages.pop() : undefined;
        for (const m of r.messages) messageRef = await this.csMessage(externalId, m);
        const attachmentId = await this.withToken((token) =>
          this.api.uploadImage(r.image!.png, r.image!.filename, token),
        );
        messageRef = await this.csMessage(
          externalId,
          mediaMessage(attachmentId, withButtons ? undefined : r.image.caption),
        );
        if (withButtons) messageRef = await this.csMessage(externalId, withButtons);
      } else {
        for (const m of r.messages) messageRef = await this.csMessage(externalId, m);
      }
      progress.sent++;
    }
    return { messageRef };
  }

  private async csMessage(userId: string, message: ZaloMessage): Promise<string | undefined> {
    const data = await this.withToken((token) =>
      this.api.post<{ message_id?: string }>(CS_PATH, { recipient: { user_id: userId }, message }, token),
    );
    return data?.message_id;
  }

  private async sendOutsideWindow(
    externalId: string,
    messages: Outbound[],
    account: Account | undefined,
  ): Promise<SendReceipt> {
    const last = account?.lastInboundAt?.toISOString() ?? 'never';
    if (!this.config.templateId) {
      throw new DeliveryError(
        'undeliverable',
        `outside the Zalo interaction window (${this.config.windowHours} h; last message ${last}) and ZALO_TEMPLATE_ID is not set`,
      );
    }
    const text = messages.map(plainText).filter(Boolean).join('\n\n');
    const body = {
      user_id: externalId,
      template_id: this.config.templateId,
      template_data: { [this.config.templateTextParam]: splitText(text, MAX_TEXT)[0] ?? '' },
    };
    try {
      const data = await this.withToken((token) =>
        this.api.post<{ msg_id?: string; message_id?: string }>(TEMPLATE_PATH, body, token),
      );
      return { messageRef: data?.msg_id ?? data?.message_id };
    } catch (err) {
      throw toDeliveryError(err);
    }
  }

  /** Run a call with the current token; on -216/-220 refresh once (single-flight) and run it again. */
  private async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.tokens.accessToken();
    try {
      return await call(token);
    } catch (err) {
      if (err instanceof ZaloApiError && (err.code === ZaloCode.invalidToken || err.code === ZaloCode.expiredToken)) {
        this.log.info({ code: err.code }, 'zalo rejected the access token; refreshing');
        return call(await this.tokens.refresh(token));
      }
      throw err;
    }
  }
}

/** Zalo's failures in the outbox's terms. */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof ZaloTransportError) return new DeliveryError('retry', err.message);
  // Waits for the operator without using up the message's attempts: an alert should still leave once fixed.
  if (err instanceof ZaloTokenMissingError) return new DeliveryError('retry', err.message, 5 * 60_000);
  if (err instanceof ZaloApiError) {
    switch (err.code) {
      case ZaloCode.invalidToken:
      case ZaloCode.expiredToken:
        // Rejected even after a refresh (e.g. the OA withdrew the app's permission): counted retries, then dead.
        return new DeliveryError('retry', err.message);
      case ZaloCode.rateLimited:
        return new DeliveryError('retry', err.message, 60_000);
      case ZaloCode.quotaExceeded:
      case ZaloCode.oaSendLimit:
        return new DeliveryError('retry', err.message, 60 * 60_000);
      case ZaloCode.notFollower:
      case ZaloCode.userGone:
        return new DeliveryError('unreachable', err.message);
      case ZaloCode.outsideWindow:
        return new DeliveryError('undeliverable', err.message);
      default:
        return new DeliveryError('fatal', err.message);
    }
  }
  return new DeliveryError('retry', String((err as Error)?.message ?? err));
}
