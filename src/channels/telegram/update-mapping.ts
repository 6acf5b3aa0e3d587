import type { Message, Update } from 'grammy/types';
import { z } from 'zod';
import type { Inbound } from '../../core/messages.js';
import { entitiesToHtml } from './entities-html.js';

/**
 * What one Telegram update means to the service. Only `inbound` reaches the dialog runner; the rest are
 * handled by the adapter itself (a hint in groups, reachability from my_chat_member) or ignored.
 */
export type TelegramEvent =
  | { kind: 'inbound'; inbound: Inbound; chatId: string; callback?: { id: string; messageId?: number } }
  /** someone wrote in a group/supergroup/channel, or added the bot there: answer with a hint, never the dialog */
  | { kind: 'group'; chatId: string; languageHint?: string; callbackId?: string }
  /** the person blocked (kicked) or unblocked the bot in their private chat */
  | { kind: 'reachability'; chatId: string; reachable: boolean }
  | { kind: 'ignore'; reason: string; callbackId?: string };

/** Kinds of message we cannot read; the first key present names it in Inbound.what. */
const UNSUPPORTED_KEYS = [
  'sticker',
  'voice',
  'video_note',
  'photo',
  'video',
  'animation',
  'audio',
  'document',
  'location',
  'venue',
  'poll',
  'dice',
  'game',
  'story',
] as const;

/** A minimal structural check of the webhook body before it is treated as an Update. */
export function isUpdate(body: unknown): body is Update {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const id = (body as { update_id?: unknown }).update_id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

// The parts of the Bot API's Update (https://core.telegram.org/bots/api#update) that toEvent reads, with their
// documented types. Everything else may be present in any shape: Telegram adds fields over time.
const telegramId = z.number().int().refine(Number.isSafeInteger);
const user = z.looseObject({ id: telegramId, language_code: z.string().max(35).optional() });
const chat = z.looseObject({ id: telegramId, type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const entity = z.looseObject({
  type: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  url: z.string().optional(),
});
const message = z.looseObject({
  message_id: z.number().int(),
  chat,
  from: user.optional(),
  text: z.string().optional(),
  entities: z.array(entity).optional(),
  contact: z
    .looseObject({
      phone_number: z.string().max(64),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
      user_id: telegramId.optional(),
    })
    .optional(),
});
const member = z.looseObject({ status: z.string() });
const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative().refine(Number.isSafeInteger),
  message: message.optional(),
  callback_query: z
    .looseObject({
      id: z.string().min(1),
      from: user,
      // An InaccessibleMessage (date 0) still carries chat and message_id.
      message: z.looseObject({ message_id: z.number().int(), chat }).optional(),
      data: z.string().optional(),
    })
    .optional(),
  my_chat_member: z.looseObject({ chat, from: user, old_chat_member: member, new_chat_member: member }).optional(),
});

export type UpdateCheck = { ok: true; update: Update } | { ok: false; problems: string[] };

/**
 * The schema check behind the webhook: an update whose fields have the wrong types (a chat id that is an
 * object, a text that is a number) is refused before any account exists. Problems name paths and codes,
 * never values, so they can be logged.
 */
export function checkUpdate(body: unknown): UpdateCheck {
  const parsed = updateSchema.safeParse(body);
  if (parsed.success) return { ok: true, update: body as Update };
  return {
    ok: false,
    problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`),
  };
}

/**
 * Maps an update to an event. `/start <param>` becomes kind `start` (deep links); a shared contact is the
 * sender's own only when Telegram says its user_id is the sender's. messageId is the update_id: the runner
 * de-duplicates on it inside its transaction, so a redelivery changes nothing.
 */
export function toEvent(update: Update): TelegramEvent {
  const messageId = String(update.update_id);

  if (update.message) return fromMessage(update.message, messageId);

  if (update.callback_query) {
    const cq = update.callback_query;
    const msg = cq.message;
    if (!msg) return { kind: 'ignore', reason: 'inline_callback', callbackId: cq.id };
    if (msg.chat.type !== 'private') return { kind: 'ignore', reason: 'group_callback', callbackId: cq.id };
    if (cq.data === undefined) return { kind: 'ignore', reason: 'game_callback', callbackId: cq.id };
    const chatId = String(msg.chat.id);
    return {
      kind: 'inbound',
      chatId,
      callback: { id: cq.id, messageId: msg.message_id },
      inbound: {
        channel: 'telegram',
        accountId: chatId,
        messageId,
        languageHint: cq.from.language_code,
        kind: 'button',
        payload: cq.data,
      },
    };
  }

  if (update.my_chat_member) {
    const m = update.my_chat_member;
    const chatId = String(m.chat.id);
    const status = m.new_chat_member.status;
    if (m.chat.type === 'private') {
      if (status === 'kicked') return { kind: 'reachability', chatId, reachable: false };
      if (status === 'member') return { kind: 'reachability', chatId, reachable: true };
      return { kind: 'ignore', reason: `private_${status}` };
    }
    // Added to a group or channel: say once that the bot works in private chats only.
    const wasOut = m.old_chat_member.status === 'left' || m.old_chat_member.status === 'kicked';
    if (wasOut && (status === 'member' || status === 'administrator')) {
      return { kind: 'group', chatId, languageHint: m.from.language_code };
    }
    return { kind: 'ignore', reason: `group_${status}` };
  }

  if (update.edited_message || update.edited_channel_post) return { kind: 'ignore', reason: 'edited' };
  // Posts in a channel are public: answering each one would spam its subscribers.
  if (update.channel_post) return { kind: 'ignore', reason: 'channel_post' };
  return { kind: 'ignore', reason: 'other_update' };
}

function fromMessage(msg: Message, messageId: string): TelegramEvent {
  const chatId = String(msg.chat.id);
  const languageHint = msg.from?.language_code;
  if (msg.chat.type !== 'private') {
    // Service messages (members joining, title changes) are not someone talking to the bot.
    if (msg.text === undefined && !UNSUPPORTED_KEYS.some((k) => k in msg)) {
      return { kind: 'ignore', reason: 'group_service' };
    }
    return { kind: 'group', chatId, languageHint };
  }
  const base = { channel: 'telegram' as const, accountId: chatId, messageId, languageHint };

  if (msg.text !== undefined) {
    const start = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S*))?\s*$/.exec(msg.text);
    if (start) return { kind: 'inbound', chatId, inbound: { ...base, kind: 'start', param: start[1] ?? '' } };
    const html = entitiesToHtml(msg.text, msg.entities);
    return {
      kind: 'inbound',
      chatId,
      inbound: { ...base, kind: 'text', text: msg.text, ...(html === undefined ? {} : { html }) },
    };
  }
  if (msg.contact) {
    const c = msg.contact;
    const name = [c.first_name, c.last_name].filter(Boolean).join(' ') || undefined;
    return {
      kind: 'inbound',
      chatId,
      inbound: {
        ...base,
        kind: 'contact',
        phone: normalizeTelegramPhone(c.phone_number),
        isOwn: c.user_id !== undefined && msg.from !== undefined && c.user_id === msg.from.id,
        name,
      },
    };
  }
  const what = UNSUPPORTED_KEYS.find((k) => k in msg) ?? 'other';
  return { kind: 'inbound', chatId, inbound: { ...base, kind: 'unsupported', what } };
}

/** Telegram sends international numbers with or without the leading "+"; the core expects "+<digits>". */
export function normalizeTelegramPhone(raw: string): string {
  const digits = raw.replace(/[\s().-]/g, '');
  return /^\d+$/.test(digits) ? `+${digits}` : digits;
}
