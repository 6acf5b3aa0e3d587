import type { ChannelName, Outbound } from './messages.js';

/**
 * Why a delivery failed, in terms the outbox acts on:
 * - `retry`: try again later (429 with retryAfterMs, 5xx, network);
 * - `unreachable`: the person blocked the bot / unfollowed the OA: stop sending to this account;
 * - `undeliverable`: the platform will not take this message now for a lasting reason (e.g. Zalo outside the
 *   interaction window with no template configured): not retried, counted;
 * - `fatal`: this message cannot be sent (bad request): not retried.
 *
 * `sent`: how many of the batch's messages had fully arrived before the failure, so only the rest is queued
 * again (absent = none is known to have arrived).
 */
export class DeliveryError extends Error {
  constructor(
    readonly kind: 'retry' | 'unreachable' | 'undeliverable' | 'fatal',
    message: string,
    readonly retryAfterMs?: number,
    readonly sent?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }

  /** The same failure, noting that the first `sent` messages of the batch had arrived. */
  after(sent: number): DeliveryError {
    return new DeliveryError(this.kind, this.message, this.retryAfterMs, sent);
  }
}

/**
 * What a platform can do, declared by its adapter. Features and the core ask these instead of naming a
 * channel; the core does the rest (numbered choices where buttons are missing, text limits, edits).
 */
export interface ChannelCapabilities {
  /** longest text of one message, in characters; the adapter splits longer texts below it */
  textLimit: number;
  /** edit() changes the message in place; otherwise an "edit" arrives as a new message */
  editsInPlace: boolean;
  /** can offer a "share my phone number" button whose answer the platform vouches for */
  contactRequest: boolean;
  /** choice buttons one message can show; absent = none (the core numbers the choices in the text) */
  buttons?: { perRow: number; total: number };
  /**
   * Choices are numbered in the text even when buttons show, and a typed number answers them (buttons that
   * may not render on every client). Implied when `buttons` is absent.
   */
  numberedChoices?: boolean;
  /** an Outbound image arrives as a picture (otherwise the adapter leaves it out) */
  photoUpload: boolean;
  /** hours after the person's last message in which the platform takes messages we start; absent = any time */
  proactiveWindowHours?: number;
}

/** For a channel not registered on this instance (tests driving the runner directly): buttons, no extras. */
export const DEFAULT_CAPABILITIES: ChannelCapabilities = {
  textLimit: 4096,
  editsInPlace: false,
  contactRequest: false,
  buttons: { perRow: 8, total: 100 },
  photoUpload: true,
};

/** True when choices on this channel are numbered in the text and a typed number answers them. */
export function numbersChoices(caps: ChannelCapabilities): boolean {
  return caps.buttons === undefined || caps.numberedChoices === true;
}

/** The port every channel adapter implements for sending. The outbox and the dialog runner use only this. */
export interface ChannelSender {
  readonly name: ChannelName;
  /** the platform's name as people know it ("Zalo"), for officials' messages that must name one */
  readonly label: string;
  readonly capabilities: ChannelCapabilities;
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
