import type {
  ForceReply,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
} from 'grammy/types';
import type { Outbound } from '../../core/messages.js';
import { DeliveryError } from '../../core/channel.js';
import type { T } from '../../core/i18n.js';

/** Bot API limits (https://core.telegram.org/bots/api#sendmessage, #sendphoto, #inlinekeyboardbutton). */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const CALLBACK_DATA_LIMIT_BYTES = 64;

type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/** One Bot API call, before it meets grammY: plain data, so rendering is testable without a server. */
export type TelegramCall = (
  | { method: 'sendMessage'; text: string; parseMode?: 'HTML'; replyMarkup?: ReplyMarkup }
  | {
      method: 'sendPhoto';
      png: Buffer;
      filename: string;
      caption?: string;
      parseMode?: 'HTML';
      replyMarkup?: ReplyMarkup;
    }
) & {
  /** index of the Outbound this call renders, so an interrupted batch can be resumed from that message */
  source: number;
};

/**
 * Outbound → Bot API calls, in order. Buttons become an inline keyboard (callback_data = payload), a link a
 * URL button, `requestContact` a one-time reply keyboard; an image is sent as a photo with the text as its
 * caption when it fits, else the text follows as its own message. Texts over 4096 characters are split on
 * line boundaries; the keyboard rides on the last part.
 *
 * A reply keyboard stays on screen until a message removes it, and only a message without an inline keyboard
 * can carry the removal — so every batch that does not ask for a contact removes it on its first such message.
 */
export function renderOutbound(messages: Outbound[], t: T): TelegramCall[] {
  const calls: TelegramCall[] = [];
  const asksContact = messages.some((m) => m.requestContact);
  messages.forEach((m, source) => {
    const push = (c: DistributiveOmit<TelegramCall, 'source'>) => calls.push({ ...c, source } as TelegramCall);
    const parseMode = m.format === 'html' ? ('HTML' as const) : undefined;
    const inline = inlineKeyboard(m);
    const text = m.text ?? '';
    if (m.image) {
      const fits = text.length > 0 && text.length <= CAPTION_LIMIT;
      push({
        method: 'sendPhoto',
        png: m.image.png,
        filename: m.image.filename ?? 'image.png',
        caption: fits ? text : undefined,
        parseMode: fits ? parseMode : undefined,
        replyMarkup: fits || !text ? inline : undefined,
      });
      if (!fits && text) pushText(push, text, parseMode, inline);
      return;
    }
    if (m.requestContact) {
      const keyboard: ReplyKeyboardMarkup = {
        keyboard: [[{ text: m.requestContact.label, request_contact: true }]],
        one_time_keyboard: true,
        resize_keyboard: true,
        input_field_placeholder: t('telegram:contact_placeholder'),
      };
      pushText(push, text || m.requestContact.label, parseMode, keyboard);
      // One message carries one keyboard: the inline choices (e.g. "skip") follow in their own message.
      if (inline) push({ method: 'sendMessage', text: t('telegram:or_choose'), replyMarkup: inline });
      return;
    }
    if (!text && !inline) return;
    pushText(push, text || t('telegram:choose'), parseMode, inline);
  });
  if (!asksContact) {
    const plain = calls.find((c) => c.method === 'sendMessage' && c.replyMarkup === undefined);
    if (plain) plain.replyMarkup = { remove_keyboard: true };
  }
  return calls;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function pushText(
  push: (c: DistributiveOmit<TelegramCall, 'source'>) => void,
  text: string,
  parseMode: 'HTML' | undefined,
  markup: ReplyMarkup | undefined,
): void {
  const parts = splitText(text, TEXT_LIMIT);
  parts.forEach((part, i) =>
    push({ method: 'sendMessage', text: part, parseMode, replyMarkup: i === parts.length - 1 ? markup : undefined }),
  );
}

function inlineKeyboard(m: Outbound): InlineKeyboardMarkup | undefined {
  const rows: InlineKeyboardButton[][] = [];
  for (const row of m.buttons ?? []) {
    const cells = row.map((b) => {
      if (Buffer.byteLength(b.payload, 'utf8') > CALLBACK_DATA_LIMIT_BYTES) {
        // A programming error in a feature, not a delivery problem: fail loudly rather than send a dead button.
        throw new DeliveryError('fatal', `button payload longer than ${CALLBACK_DATA_LIMIT_BYTES} bytes`);
      }
      return { text: b.label, callback_data: b.payload };
    });
    if (cells.length > 0) rows.push(cells);
  }
  if (m.link) rows.push([{ text: m.link.label, url: m.link.url }]);
  return rows.length > 0 ? { inline_keyboard: rows } : undefined;
}

/** Split on line boundaries into parts of at most `limit` UTF-16 units (a single longer line is cut hard). */
export function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= limit) {
      current = candidate;
      continue;
    }
    if (current) parts.push(current);
    let rest = line;
    while (rest.length > limit) {
      // Do not cut a surrogate pair in half.
      let cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  if (current) parts.push(current);
  return parts;
}
