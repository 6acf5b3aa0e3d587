import type { ChannelName, Outbound } from './messages.js';

/**
 * Why a delivery failed, in terms the outbox acts on:
 * - `retry`: try again later (429 with retryAfterMs, 5xx, network);
 * - `unreachable`: the person blocked the bot / unfollowed the OA: stop sending to this account;
 * - `undeliverable`: the platform will not take this message now for a lasting reason (e.g. Zalo outside the
 *   interaction window with no template configured): not retried, counted;
 * - `fatal`: this message cannot be sent (bad request): not retried.
 */
export class DeliveryError extends Error {
  constructor(
    readonly kind: 'retry' | 'unreachable' | 'undeliverable' | 'fatal',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** The port every channel adapter implements for sending. The outbox and the dialog runner use only this. */
export interface ChannelSender {
  readonly name: ChannelName;
  /** Send messages to one account, in order. Throws DeliveryError. */
  send(externalId: string, messages: Outbound[], opts?: SendOptions): Promise<SendReceipt>;
  /** Edit a message sent earlier (progress bars); adapters that cannot edit send a new message. */
  edit?(externalId: string, messageRef: string, message: Outbound, opts?: SendOptions): Promise<SendReceipt>;
  /** Overall messages per second this channel allows (the outbox's rate limit). */
  readonly ratePerSecond: number;
}

export interface SendOptions {
  /** proactive = not a reply to something the person just sent (Zalo treats these differently) */
  proactive?: boolean;
  /** the person's language, for the adapter's own labels ("Please choose:"); Vietnamese when absent */
  locale?: string;
}

export interface SendReceipt {
  /** platform id of the last message sent, for later edits */
  messageRef?: string;
}

export type ChannelRegistry = Map<ChannelName, ChannelSender>;
