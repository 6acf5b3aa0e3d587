import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import type { Message } from 'grammy/types';
import {
  DeliveryError,
  type ChannelCapabilities,
  type ChannelSender,
  type SendOptions,
  type SendReceipt,
} from '../../core/channel.js';
import { tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import { renderOutbound, TEXT_LIMIT, type TelegramCall } from './outbound-rendering.js';

/** What the Bot API offers (https://core.telegram.org/bots/api#inlinekeyboardmarkup: 8 per row, 100 in all). */
export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  textLimit: TEXT_LIMIT,
  editsInPlace: true,
  contactRequest: true,
  buttons: { perRow: 8, total: 100 },
  photoUpload: true,
};

/** grammY types AbortSignal with its own shim; the runtime object is Node's. */
export type GrammySignal = Parameters<Api['getMe']>[0];
export const asGrammySignal = (s: AbortSignal | undefined): GrammySignal => s as unknown as GrammySignal;

/** Telegram chat ids are integers; the core keeps them as strings. */
export function chatIdOf(externalId: string): number | string {
  return /^-?\d+$/.test(externalId) && Number.isSafeInteger(Number(externalId)) ? Number(externalId) : externalId;
}

/** Perform rendered calls in order; returns the last message id. Errors are grammY's (GrammyError, HttpError). */
export async function performCalls(
  api: Api,
  chatId: string,
  calls: TelegramCall[],
  signal?: AbortSignal,
): Promise<number | undefined> {
  let last: Message | undefined;
  for (const c of calls) {
    try {
      last = await performCall(api, chatId, c, signal);
    } catch (err) {
      // The messages before this call's are out: only the rest should be sent again.
      throw toDeliveryError(err).after(c.source);
    }
  }
  return last?.message_id;
}

export async function performCall(api: Api, chatId: string, c: TelegramCall, signal?: AbortSignal): Promise<Message> {
  const id = chatIdOf(chatId);
  if (c.method === 'sendMessage') {
    return api.sendMessage(
      id,
      c.text,
      { parse_mode: c.parseMode, reply_markup: c.replyMarkup, link_preview_options: { is_disabled: true } },
      asGrammySignal(signal),
    );
  }
  return api.sendPhoto(
    id,
    new InputFile(c.png, c.filename),
    { caption: c.caption, parse_mode: c.parseMode, reply_markup: c.replyMarkup },
    asGrammySignal(signal),
  );
}

/**
 * Bot API failure → what the outbox should do: 429 → retry after `retry_after`; 403 (blocked, deactivated,
 * kicked) → unreachable; 5xx and network → retry; any other 4xx → fatal (retrying the same request cannot help).
 */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof GrammyError) {
    const code = err.error_code;
    if (code === 429) {
      const after = err.parameters.retry_after;
      return new DeliveryError(
        'retry',
        `telegram 429: ${err.description}`,
        typeof after === 'number' ? after * 1000 : undefined,
      );
    }
    if (code === 403) return new DeliveryError('unreachable', `telegram 403: ${err.description}`);
    if (code >= 500) return new DeliveryError('retry', `telegram ${code}: ${err.description}`);
    return new DeliveryError('fatal', `telegram ${code}: ${err.description}`);
  }
  if (err instanceof HttpError) return new DeliveryError('retry', `telegram network error: ${err.message}`);
  return new DeliveryError('retry', `telegram send failed: ${(err as Error)?.message ?? String(err)}`);
}

/** An edit that Telegram refuses because the message is gone or too old: send a new message instead. */
function cannotEdit(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    err.error_code === 400 &&
    /message to edit not found|message can't be edited/i.test(err.description)
  );
}

function notModified(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /message is not modified/i.test(err.description);
}

/**
 * The outbox's port to Telegram. Uses an Api without auto-retry: the outbox owns retries and their timing
 * (it reads retryAfterMs), so a 429 here must surface at once rather than sleep inside a worker.
 */
export function createTelegramSender(api: Api, ratePerSecond: number): ChannelSender {
  const sender: ChannelSender = {
    name: 'telegram',
    label: 'Telegram',
    capabilities: TELEGRAM_CAPABILITIES,
    ratePerSecond,
    async send(externalId: string, messages: Outbound[], opts?: SendOptions): Promise<SendReceipt> {
      try {
        // Texts are already translated by the caller; the locale only fills the adapter's own small labels.
        const last = await performCalls(api, externalId, renderOutbound(messages, tFor(opts?.locale ?? 'vi')));
        return { messageRef: last === undefined ? undefined : String(last) };
      } catch (err) {
        throw toDeliveryError(err);
      }
    },
    async edit(externalId: string, messageRef: string, message: Outbound, opts?: SendOptions): Promise<SendReceipt> {
      const [call] = renderOutbound(
        [{ ...message, image: undefined, requestContact: undefined }],
        tFor(opts?.locale ?? 'vi'),
      );
      if (!call || call.method !== 'sendMessage') return sender.send(externalId, [message], opts);
      const replyMarkup = call.replyMarkup && 'inline_keyboard' in call.replyMarkup ? call.replyMarkup : undefined;
      try {
        await api.editMessageText(chatIdOf(externalId), Number(messageRef), call.text, {
          parse_mode: call.parseMode,
          reply_markup: replyMarkup,
          link_preview_options: { is_disabled: true },
        });
        return { messageRef };
      } catch (err) {
        if (notModified(err)) return { messageRef };
        if (cannotEdit(err)) return sender.send(externalId, [message], opts);
        throw toDeliveryError(err);
      }
    },
  };
  return sender;
}
