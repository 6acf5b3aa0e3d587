import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Inbound } from '../../core/messages.js';
import { BUTTON_PREFIX } from './outbound-render.js';

/** The fields of Zalo OA webhook events we read (ids and timestamps are strings: they exceed 2^53). */
export interface ZaloEvent {
  app_id?: string;
  oa_id?: string;
  event_name?: string;
  timestamp?: string | number;
  sender?: { id?: string };
  recipient?: { id?: string };
  follower?: { id?: string };
  user_id_by_app?: string;
  message?: { msg_id?: string; text?: string; attachments?: { type?: string }[] };
  info?: { name?: string; phone?: string | number };
}

// Zalo's ids are decimal strings (they exceed 2^53); anything else would become an account no one can reach.
const zaloId = z.string().regex(/^\d{1,40}$/);
const eventSchema = z.looseObject({
  app_id: z.string().optional(),
  oa_id: z.string().optional(),
  event_name: z.string().regex(/^[a-z0-9_.]{1,64}$/),
  // Milliseconds since the epoch, sent as a string; a number is accepted too.
  timestamp: z.union([z.string().regex(/^\d{1,16}$/), z.number().int().nonnegative().max(1e16)]),
  sender: z.looseObject({ id: zaloId }).optional(),
  recipient: z.looseObject({ id: z.string().optional() }).optional(),
  follower: z.looseObject({ id: zaloId }).optional(),
  user_id_by_app: z.string().optional(),
  message: z
    .looseObject({
      msg_id: z.string().min(1).max(128).optional(),
      text: z.string().optional(),
      attachments: z.array(z.looseObject({ type: z.string().optional() })).optional(),
    })
    .optional(),
  info: z.looseObject({ name: z.string().optional(), phone: z.union([z.string(), z.number()]).optional() }).optional(),
});

export type EventCheck = { ok: true; event: ZaloEvent; at: number } | { ok: false; problems: string[] };

/**
 * The schema check after the signature: a signed event whose fields have the wrong types (an event_name that is
 * a number, a sender id that is an object) is refused before any account exists. Problems name paths and
 * codes, never values, so they can be logged. `at` is the event's time in ms.
 */
export function checkEvent(json: unknown): EventCheck {
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`),
    };
  }
  return { ok: true, event: parsed.data as ZaloEvent, at: Number(parsed.data.timestamp) };
}

/** The body's timestamp as it enters the signature; a value of another type cannot be stringified safely. */
export function signedTimestamp(json: unknown): string {
  const ts = typeof json === 'object' && json !== null ? (json as { timestamp?: unknown }).timestamp : undefined;
  return typeof ts === 'string' || typeof ts === 'number' ? String(ts) : '';
}

export type SignatureCheck = { ok: true; keyedBy: 'app_id' | 'oa_id' } | { ok: false; reason: 'missing' | 'mismatch' };

/**
 * X-ZEvent-Signature = "mac=" + sha256(appId + rawBody + timestamp + oaSecretKey), timestamp taken from the
 * body. A plain hash, not an HMAC. Some integrations hash the OA id instead of the app id; both are accepted
 * (each is compared in constant time) and the caller logs which one matched.
 */
export function checkSignature(
  header: string | string[] | undefined,
  rawBody: Buffer,
  timestamp: string,
  keys: { appId: string; oaId: string; oaSecretKey: string },
): SignatureCheck {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { ok: false, reason: 'missing' };
  const given = Buffer.from(value.trim().replace(/^mac=/i, '').toLowerCase(), 'utf8');
  for (const [keyedBy, id] of [
    ['app_id', keys.appId],
    ['oa_id', keys.oaId],
  ] as const) {
    const expected = Buffer.from(
      createHash('sha256').update(id).update(rawBody).update(timestamp).update(keys.oaSecretKey).digest('hex'),
      'utf8',
    );
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, keyedBy };
  }
  return { ok: false, reason: 'mismatch' };
}

/** What an event asks of the adapter. */
export type ZaloAction =
  { type: 'dialog'; inbound: Inbound } | { type: 'unfollow'; userId: string } | { type: 'ignore'; why: string };

/** Zalo OA event → what to do. Pure; the webhook does the database work. */
export function mapEvent(e: ZaloEvent): ZaloAction {
  const name = e.event_name ?? '';
  const ts = String(e.timestamp ?? '');
  const base = (userId: string, messageId: string | undefined) => ({
    channel: 'zalo' as const,
    accountId: userId,
    messageId,
  });

  if (name === 'follow' || name === 'unfollow') {
    const userId = e.follower?.id;
    if (!userId) return { type: 'ignore', why: 'follow event without follower' };
    if (name === 'unfollow') return { type: 'unfollow', userId };
    return { type: 'dialog', inbound: { ...base(userId, `follow:${userId}:${ts}`), kind: 'follow' } };
  }
  // OA echoes (oa_send_*), delivery and seen receipts, anonymous visitors (no follower id to answer).
  if (!name.startsWith('user_')) return { type: 'ignore', why: name || 'no event_name' };
  const userId = e.sender?.id;
  if (!userId) return { type: 'ignore', why: 'event without sender' };
  const messageId = e.message?.msg_id ?? `${name}:${userId}:${ts}`;

  switch (name) {
    case 'user_send_text': {
      const text = e.message?.text ?? '';
      if (text.startsWith(BUTTON_PREFIX)) {
        return {
          type: 'dialog',
          inbound: { ...base(userId, messageId), kind: 'button', payload: text.slice(BUTTON_PREFIX.length) },
        };
      }
      // A typed number is text here; the core maps it to the numbered choice it answers.
      return { type: 'dialog', inbound: { ...base(userId, messageId), kind: 'text', text } };
    }
    case 'user_submit_info': {
      const phone = e.info?.phone !== undefined ? String(e.info.phone).trim() : '';
      if (!phone)
        return {
          type: 'dialog',
          inbound: { ...base(userId, messageId), kind: 'unsupported', what: 'submit_info_without_phone' },
        };
      const name = e.info?.name?.trim();
      return {
        type: 'dialog',
        inbound: { ...base(userId, messageId), kind: 'contact', phone, isOwn: true, ...(name ? { name } : {}) },
      };
    }
    case 'user_received_message':
    case 'user_seen_message':
    case 'user_reacted_message':
      return { type: 'ignore', why: name };
    default:
      // Images, stickers, voice, files, locations…: the person gets a hint to type instead.
      return {
        type: 'dialog',
        inbound: { ...base(userId, messageId), kind: 'unsupported', what: name.replace(/^user_send_/, '') },
      };
  }
}
