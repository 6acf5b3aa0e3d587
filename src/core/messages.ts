/**
 * What channel adapters hand the core, and what the core hands back. No platform types here:
 * grammY lives only in src/channels/telegram, the Zalo client only in src/channels/zalo.
 */
/**
 * A channel's name as adapters register it ('telegram', 'zalo', 'web', …): open, so a new adapter needs no
 * change here. What a channel can do is declared in its ChannelCapabilities (core/channel.ts), never
 * inferred from its name.
 */
export type ChannelName = string;

export type Inbound =
  /** html: the same text with the sender's formatting as the Bot API HTML subset, when the platform gives it */
  | (InboundBase & { kind: 'text'; text: string; html?: string })
  /** a button press: the payload the button was given in Outbound.buttons */
  | (InboundBase & { kind: 'button'; payload: string })
  /** a deep link: Telegram /start <param>, or a landing-page code; param may be empty */
  | (InboundBase & { kind: 'start'; param: string })
  /** a shared phone number; isOwn = the platform vouches it is the sender's own number */
  | (InboundBase & { kind: 'contact'; phone: string; isOwn: boolean; name?: string })
  /** sticker, voice, photo…: answered with a hint */
  | (InboundBase & { kind: 'unsupported'; what: string })
  /** the account followed the OA / started the bot without a parameter (Zalo follow) */
  | (InboundBase & { kind: 'follow' });

export interface InboundBase {
  channel: ChannelName;
  /** the platform's id of the chat account, as a string (Telegram chat id, Zalo user_id, web id) */
  accountId: string;
  /** platform update / message id for de-duplication; absent = no de-duplication */
  messageId?: string;
  /** the platform's language hint (e.g. Telegram language_code), used before the person chooses */
  languageHint?: string;
}

export interface Button {
  label: string;
  /** ≤ 64 bytes (Telegram callback_data); the adapter returns it as Inbound.payload */
  payload: string;
}

export interface Outbound {
  text?: string;
  /** rows of buttons; on channels without (reliable) buttons the core numbers them in the text */
  buttons?: Button[][];
  /** a PNG; text (if any) becomes its caption */
  image?: { png: Buffer; filename?: string };
  /** ask the platform to offer a "share my phone number" button where it has one (capabilities.contactRequest) */
  requestContact?: { label: string };
  /** a URL button shown with the text (e.g. the Telegram deep link) */
  link?: { label: string; url: string };
  /** formatting of text: plain (default) or the small HTML subset Telegram accepts */
  format?: 'plain' | 'html';
  /** set by the core once the text lists the buttons as numbered options (a queued reply is not numbered twice) */
  numbered?: true;
}

/** Serialisable form of Outbound for the outbox (Buffer → base64). */
export interface StoredOutbound extends Omit<Outbound, 'image'> {
  image?: { pngBase64: string; filename?: string };
}

export function toStored(messages: Outbound[]): StoredOutbound[] {
  return messages.map(({ image, ...rest }) =>
    image ? { ...rest, image: { pngBase64: image.png.toString('base64'), filename: image.filename } } : rest,
  );
}

export function fromStored(messages: StoredOutbound[]): Outbound[] {
  return messages.map(({ image, ...rest }) =>
    image ? { ...rest, image: { png: Buffer.from(image.pngBase64, 'base64'), filename: image.filename } } : rest,
  );
}
