import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/core/clock.js';

/**
 * A fake Telegram Bot API on loopback. Records every call with its parsed parameters (JSON, form or
 * multipart — files arrive as {filename, data}), answers with the shapes documented at
 * https://core.telegram.org/bots/api, and can be told to fail: 429 with `parameters.retry_after`,
 * 403 "Forbidden: bot was blocked by the user", 5xx, or an overall rate limit.
 *
 *   const tg = await startFakeTelegram();
 *   env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot, ... }
 */

export const FAKE_BOT_TOKEN = '123456789:AAFakeTokenForTestsOnly_abcdefghij';
export const FAKE_BOT_USERNAME = 'khaibao_test_bot';
export const FAKE_BOT_ID = 123456789;

export interface UploadedFile {
  filename: string;
  data: Buffer;
}

export interface RecordedCall {
  method: string;
  /** parameters as the bot sent them; JSON-encoded multipart fields are decoded, files are UploadedFile */
  params: Record<string, unknown>;
  at: number;
  /** the HTTP status the fake answered with */
  status: number;
  /** the `result` of a successful call (e.g. the Message sent, with its message_id) */
  result?: unknown;
  /** the bot made this call in its answer to a webhook update, not as a request of its own */
  viaWebhookReply?: true;
}

export type Failure =
  | { code: 429; retryAfter: number }
  | { code: 403; description?: string }
  | { code: 400; description: string }
  | { code: 500 | 502 | 503 | 504; description?: string };

interface FailureRule {
  method: string;
  failure: Failure;
  remaining: number;
}

interface Waiter {
  resolve: () => void;
  timer: NodeJS.Timeout;
}

export interface FakeTelegram {
  /** value for TELEGRAM_API_ROOT */
  apiRoot: string;
  token: string;
  username: string;
  calls: RecordedCall[];
  /** calls of one method (successful or not) */
  callsOf(method: string): RecordedCall[];
  /** successful sendMessage / sendPhoto calls to one chat, in order */
  sentTo(chatId: number | string): RecordedCall[];
  /** wait until `predicate` holds over the recorded calls (polling tests) */
  waitFor(predicate: (calls: RecordedCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** make the next `times` calls of `method` ('*' = any) fail this way */
  fail(method: string, failure: Failure, times?: number): void;
  /**
   * at most `perSecond` calls per second overall; the excess gets 429 retry_after 1. Fixed one-second windows, or
   * with `sliding` any one second (the last 1000 ms before each call), as the real limit is felt.
   */
  setRateLimit(perSecond: number | undefined, opts?: { sliding?: boolean }): void;
  /** these chats have blocked the bot: every send or edit to them answers 403 until reset() */
  blocked: Set<string>;
  /** queue updates for getUpdates (update_id assigned when missing) */
  pushUpdate(...updates: Record<string, unknown>[]): void;
  /** the webhook as last set with setWebhook */
  webhook: { url: string; secretToken?: string; allowedUpdates?: string[] } | undefined;
  /** commands as last set per language_code ('' = default) */
  commands: Map<string, { command: string; description: string }[]>;
  /**
   * What Telegram does with a webhook answer that names a `method`: makes that call for the bot (recorded with
   * `viaWebhookReply`). An empty answer makes none.
   */
  webhookReply(body: string): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * `clock`: stamps calls (`at`) and measures the rate limit's one-second windows on it (the service's ManualClock,
 * so a test that moves time checks the limit in the same time as the dispatcher paces itself); real time without.
 */
export async function startFakeTelegram(
  opts: { token?: string; username?: string; clock?: Pick<Clock, 'monotonic'> } = {},
): Promise<FakeTelegram> {
  const time = () => (opts.clock ? opts.clock.monotonic() : Date.now());
  const token = opts.token ?? FAKE_BOT_TOKEN;
  const username = opts.username ?? FAKE_BOT_USERNAME;
  const botId = Number(token.split(':')[0]);
  const calls: RecordedCall[] = [];
  let failures: FailureRule[] = [];
  let rate: { perSecond: number; windowStart: number; count: number; sliding: number[] | undefined } | undefined;
  let nextMessageId = 1000;
  let nextUpdateId = 500_000;
  let updates: Record<string, unknown>[] = [];
  const pollWaiters = new Set<Waiter>();
  const callWaiters = new Set<() => void>();

  const state: FakeTelegram = {
    apiRoot: '',
    token,
    username,
    calls,
    blocked: new Set(),
    webhook: undefined,
    commands: new Map(),
    callsOf: (method) => calls.filter((c) => c.method === method),
    sentTo: (chatId) =>
      calls.filter(
        (c) =>
          c.status === 200 &&
          (c.method === 'sendMessage' || c.method === 'sendPhoto') &&
          String(c.params.chat_id) === String(chatId),
      ),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(calls)) {
        if (Date.now() > deadline) throw new Error(`fake telegram: condition not met within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 50);
          callWaiters.add(done);
          function done() {
            clearTimeout(t);
            callWaiters.delete(done);
            resolve();
          }
        });
      }
    },
    fail(method, failure, times = 1) {
      failures.push({ method, failure, remaining: times });
    },
    setRateLimit(perSecond, opts = {}) {
      rate =
        perSecond === undefined
          ? undefined
          : { perSecond, windowStart: time(), count: 0, sliding: opts.sliding ? [] : undefined };
    },
    pushUpdate(...items) {
      for (const u of items) updates.push({ ...u, update_id: u.update_id ?? nextUpdateId++ });
      for (const w of pollWaiters) w.resolve();
    },
    async webhookReply(body) {
      if (!body) return;
      const { method, ...params } = JSON.parse(body) as { method?: unknown } & Record<string, unknown>;
      if (typeof method !== 'string') throw new Error(`webhook answer without a method: ${body}`);
      const call: RecordedCall = { method, params, at: time(), status: 200, viaWebhookReply: true };
      calls.push(call);
      const result = await answer(method, params, undefined);
      call.status = result.error?.code ?? 200;
      call.result = result.value;
    },
    reset() {
      calls.length = 0;
      failures = [];
      rate = undefined;
      updates = [];
      state.blocked.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of pollWaiters) w.resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      send(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${(err as Error).message}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = time(); // before the body is read, which takes turns of the event loop
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    const body = await readBody(req);
    if (!m) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== token) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    const params = parseParams(
      req.headers['content-type'] ?? '',
      body,
      new URL(req.url ?? '/', 'http://x').searchParams,
    );
    const call: RecordedCall = { method, params, at: arrived, status: 200 };
    calls.push(call);
    const reply = (status: number, payload: unknown) => {
      call.status = status;
      call.result = (payload as { result?: unknown }).result;
      send(res, status, payload);
      for (const w of [...callWaiters]) w();
    };

    const rule = failures.find((f) => f.remaining > 0 && (f.method === method || f.method === '*'));
    if (rule) {
      rule.remaining--;
      return reply(rule.failure.code, failureBody(rule.failure));
    }
    if (/^(send|edit)/.test(method) && state.blocked.has(String(params.chat_id))) {
      return reply(403, failureBody({ code: 403 }));
    }
    if (rate && method !== 'getUpdates') {
      const now = time();
      if (rate.sliding) {
        // accepted calls in the last second, this one included
        while (rate.sliding.length > 0 && rate.sliding[0]! <= now - 1000) rate.sliding.shift();
        if (rate.sliding.length >= rate.perSecond) return reply(429, failureBody({ code: 429, retryAfter: 1 }));
        rate.sliding.push(now);
      } else {
        if (now - rate.windowStart >= 1000) rate = { ...rate, windowStart: now, count: 0 };
        if (++rate.count > rate.perSecond) {
          return reply(429, failureBody({ code: 429, retryAfter: 1 }));
        }
      }
    }
    const result = await answer(method, params, res);
    if (result.error)
      return reply(result.error.code, {
        ok: false,
        error_code: result.error.code,
        description: result.error.description,
      });
    return reply(200, { ok: true, result: result.value });
  }

  async function answer(
    method: string,
    p: Record<string, unknown>,
    res: ServerResponse | undefined,
  ): Promise<{ value?: unknown; error?: { code: number; description: string } }> {
    const bad = (description: string) => ({ error: { code: 400, description: `Bad Request: ${description}` } });
    const chat = (id: unknown) => ({ id: Number(id), type: Number(id) < 0 ? 'group' : 'private', first_name: 'Test' });
    const markupError = checkMarkup(p.reply_markup);
    switch (method) {
      case 'getMe':
        return {
          value: {
            id: botId,
            is_bot: true,
            first_name: 'Khai báo',
            username,
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        };
      case 'sendMessage': {
        if (p.chat_id === undefined) return bad('chat_id is empty');
        const text = typeof p.text === 'string' ? p.text : '';
        if (!text.trim()) return bad('message text is empty');
        if (text.length > 4096) return bad('message is too long');
        if (markupError) return bad(markupError);
        return {
          value: {
            message_id: nextMessageId++,
            date: now(),
            chat: chat(p.chat_id),
            text,
            ...(isInline(p.reply_markup) ? { reply_markup: p.reply_markup } : {}),
          },
        };
      }
      case 'sendPhoto': {
        if (p.chat_id === undefined) return bad('chat_id is empty');
        const photo = p.photo as UploadedFile | string | undefined;
        if (!photo || (typeof photo === 'string' && !photo.trim())) return bad('there is no photo in the request');
        const caption = typeof p.caption === 'string' ? p.caption : undefined;
        if (caption && caption.length > 1024) return bad('message caption is too long');
        if (markupError) return bad(markupError);
        const size = typeof photo === 'string' ? 0 : photo.data.length;
        return {
          value: {
            message_id: nextMessageId++,
            date: now(),
            chat: chat(p.chat_id),
            photo: [
              {
                file_id: `photo-${nextMessageId}`,
                file_unique_id: `u${nextMessageId}`,
                width: 512,
                height: 512,
                file_size: size,
              },
            ],
            ...(caption ? { caption } : {}),
          },
        };
      }
      case 'editMessageText': {
        const text = typeof p.text === 'string' ? p.text : '';
        if (!text.trim()) return bad('message text is empty');
        if (markupError) return bad(markupError);
        return {
          value: { message_id: Number(p.message_id), date: now(), edit_date: now(), chat: chat(p.chat_id), text },
        };
      }
      case 'editMessageReplyMarkup':
        if (p.message_id === undefined) return bad('message identifier is not specified');
        if (markupError) return bad(markupError);
        return {
          value: { message_id: Number(p.message_id), date: now(), edit_date: now(), chat: chat(p.chat_id), text: '' },
        };
      case 'answerCallbackQuery':
        if (!p.callback_query_id) return bad('query is too old and response timeout expired or query ID is invalid');
        return { value: true };
      case 'setWebhook': {
        if (typeof p.url !== 'string') return bad('bad webhook: URL must be specified');
        state.webhook = {
          url: p.url,
          secretToken: p.secret_token as string | undefined,
          allowedUpdates: p.allowed_updates as string[] | undefined,
        };
        return { value: true };
      }
      case 'deleteWebhook':
        state.webhook = undefined;
        return { value: true };
      case 'getWebhookInfo':
        return {
          value: {
            url: state.webhook?.url ?? '',
            has_custom_certificate: false,
            pending_update_count: updates.length,
            ...(state.webhook?.allowedUpdates ? { allowed_updates: state.webhook.allowedUpdates } : {}),
            max_connections: 40,
          },
        };
      case 'setMyCommands': {
        const commands = p.commands as { command: string; description: string }[] | undefined;
        if (!Array.isArray(commands)) return bad("can't parse commands JSON object");
        for (const c of commands) {
          if (!/^[a-z0-9_]{1,32}$/.test(c.command)) return bad('BOT_COMMAND_INVALID');
          if (!c.description || c.description.length > 256) return bad('BOT_COMMAND_DESCRIPTION_INVALID');
        }
        state.commands.set(String(p.language_code ?? ''), commands);
        return { value: true };
      }
      case 'getUpdates': {
        if (state.webhook)
          return {
            error: {
              code: 409,
              description:
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            },
          };
        const offset = typeof p.offset === 'number' ? p.offset : Number(p.offset ?? 0);
        if (offset) updates = updates.filter((u) => Number(u.update_id) >= offset);
        if (updates.length === 0) {
          const timeout = Math.min(Number(p.timeout ?? 0), 30);
          await new Promise<void>((resolve) => {
            const w: Waiter = {
              resolve: () => {
                clearTimeout(w.timer);
                pollWaiters.delete(w);
                resolve();
              },
              timer: setTimeout(() => w.resolve(), timeout * 1000),
            };
            pollWaiters.add(w);
            // The bot gave up (stop, abort): end the wait so the server can close.
            res?.on('close', () => w.resolve());
          });
        }
        const limit = Number(p.limit ?? 100);
        return { value: updates.slice(0, limit) };
      }
      default:
        return { error: { code: 404, description: 'Not Found: method not found' } };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function isInline(markup: unknown): boolean {
  return typeof markup === 'object' && markup !== null && 'inline_keyboard' in markup;
}

/** The checks Telegram makes that a bot is most likely to trip over. */
function checkMarkup(markup: unknown): string | undefined {
  if (markup === undefined) return undefined;
  if (typeof markup !== 'object' || markup === null) return "can't parse reply keyboard markup JSON object";
  const m = markup as { inline_keyboard?: { text?: string; callback_data?: string; url?: string }[][] };
  for (const row of m.inline_keyboard ?? []) {
    for (const b of row) {
      if (!b.text) return 'inline keyboard button text is empty';
      if (b.callback_data !== undefined && (Buffer.byteLength(b.callback_data) > 64 || b.callback_data.length === 0))
        return 'BUTTON_DATA_INVALID';
      if (b.callback_data === undefined && b.url === undefined)
        return "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard";
    }
  }
  return undefined;
}

function failureBody(f: Failure): Record<string, unknown> {
  switch (f.code) {
    case 429:
      return {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${f.retryAfter}`,
        parameters: { retry_after: f.retryAfter },
      };
    case 403:
      return { ok: false, error_code: 403, description: f.description ?? 'Forbidden: bot was blocked by the user' };
    case 400:
      return { ok: false, error_code: 400, description: f.description };
    default:
      return {
        ok: false,
        error_code: f.code,
        description: f.description ?? (f.code === 502 ? 'Bad Gateway' : 'Internal Server Error'),
      };
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** JSON, urlencoded, query string or multipart/form-data (grammY uses the last when a file is sent). */
function parseParams(contentType: string, body: Buffer, query: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(query);
  if (body.length === 0) return params;
  if (contentType.startsWith('application/json'))
    return { ...params, ...(JSON.parse(body.toString('utf8')) as Record<string, unknown>) };
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params[k] = decodeField(v);
    return params;
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!contentType.startsWith('multipart/form-data') || !boundary) return params;
  const parts = splitMultipart(body, boundary[1] ?? boundary[2]!);
  const files = new Map<string, UploadedFile>();
  for (const part of parts) {
    const name = /name="([^"]*)"/i.exec(part.headers)?.[1];
    if (name === undefined) continue;
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(part.headers);
    if (filename) files.set(name, { filename: filename[1] ?? filename[2]!.trim(), data: part.data });
    else params[name] = decodeField(part.data.toString('utf8'));
  }
  // "attach://<id>" fields point at the file parts.
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && v.startsWith('attach://')) params[k] = files.get(v.slice(9)) ?? v;
  }
  return params;
}

function decodeField(v: string): unknown {
  if (/^[[{]/.test(v) || /^-?\d+$/.test(v) || v === 'true' || v === 'false') {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function splitMultipart(body: Buffer, boundary: string): { headers: string; data: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: { headers: string; data: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const sep = part.indexOf('\r\n\r\n');
    if (sep !== -1)
      out.push({ headers: part.subarray(0, sep).toString('utf8'), data: Buffer.from(part.subarray(sep + 4)) });
    pos = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Real-shaped updates (https://core.telegram.org/bots/api#update) and a way to post them to the service.

export interface TgUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

let updateSeq = 700_000;
let messageSeq = 1;
const unix = () => Math.floor(Date.now() / 1000);

export const tgUser = (id: number, language_code = 'vi', first_name = 'Lan'): TgUser => ({
  id,
  first_name,
  language_code,
});

function privateChat(u: TgUser) {
  return { id: u.id, first_name: u.first_name, ...(u.username ? { username: u.username } : {}), type: 'private' };
}

function userJson(u: TgUser) {
  return {
    id: u.id,
    is_bot: false,
    first_name: u.first_name,
    ...(u.last_name ? { last_name: u.last_name } : {}),
    ...(u.language_code ? { language_code: u.language_code } : {}),
  };
}

/** One private-chat message from `u`, wrapped in an update like Telegram's. */
function privateMessage<F extends Record<string, unknown>>(u: TgUser, fields: F) {
  return {
    update_id: updateSeq++,
    message: { message_id: messageSeq++, from: userJson(u), chat: privateChat(u), date: unix(), ...fields },
  };
}

export const tgUpdates = {
  /** a private text message; `/commands` carry their bot_command entity like Telegram's */
  text(u: TgUser, text: string, extra: Record<string, unknown> = {}) {
    const command = /^\/\S+/.exec(text);
    return privateMessage(u, {
      text,
      ...(command ? { entities: [{ offset: 0, length: command[0].length, type: 'bot_command' }] } : {}),
      ...extra,
    });
  },
  /** a press on an inline button under the bot's message `messageId` */
  button(u: TgUser, data: string, messageId = 1000) {
    return {
      update_id: updateSeq++,
      callback_query: {
        id: String(4_000_000_000 + updateSeq),
        from: userJson(u),
        message: {
          message_id: messageId,
          from: { id: FAKE_BOT_ID, is_bot: true, first_name: 'Khai báo', username: FAKE_BOT_USERNAME },
          chat: privateChat(u),
          date: unix(),
          text: '…',
        },
        chat_instance: '-1234567890',
        data,
      },
    };
  },
  /** a shared contact; by default the sender's own (user_id = sender); owner null = a contact without user_id */
  contact(u: TgUser, phone: string, owner: number | null = u.id) {
    return privateMessage(u, {
      contact: { phone_number: phone, first_name: u.first_name, ...(owner !== null ? { user_id: owner } : {}) },
    });
  },
  sticker(u: TgUser) {
    return privateMessage(u, {
      sticker: {
        file_id: 'CAACAgIAAxkBAAE',
        file_unique_id: 'AgADAQAD',
        type: 'regular',
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
        emoji: '👍',
      },
    });
  },
  groupText(u: TgUser, groupId: number, text: string) {
    return {
      update_id: updateSeq++,
      message: {
        message_id: messageSeq++,
        from: userJson(u),
        chat: { id: groupId, title: 'Tổ dân phố 3', type: 'supergroup' },
        date: unix(),
        text,
      },
    };
  },
  edited(u: TgUser, text: string) {
    return {
      update_id: updateSeq++,
      edited_message: {
        message_id: messageSeq++,
        from: userJson(u),
        chat: privateChat(u),
        date: unix() - 60,
        edit_date: unix(),
        text,
      },
    };
  },
  /** someone added the bot to a group */
  addedToGroup(u: TgUser, groupId: number) {
    const bot = { id: FAKE_BOT_ID, is_bot: true, first_name: 'Khai báo', username: FAKE_BOT_USERNAME };
    return {
      update_id: updateSeq++,
      my_chat_member: {
        chat: { id: groupId, title: 'Tổ dân phố 3', type: 'group' },
        from: userJson(u),
        date: unix(),
        old_chat_member: { user: bot, status: 'left' },
        new_chat_member: { user: bot, status: 'member' },
      },
    };
  },
  /** a post in a channel the bot administers */
  channelPost(channelId: number, text: string) {
    return {
      update_id: updateSeq++,
      channel_post: {
        message_id: messageSeq++,
        chat: { id: channelId, title: 'Tin Cần Thơ', type: 'channel' },
        date: unix(),
        text,
      },
    };
  },
  /** the person blocked (status 'kicked') or restarted ('member') the bot */
  myChatMember(u: TgUser, status: 'kicked' | 'member') {
    const bot = { id: FAKE_BOT_ID, is_bot: true, first_name: 'Khai báo', username: FAKE_BOT_USERNAME };
    return {
      update_id: updateSeq++,
      my_chat_member: {
        chat: privateChat(u),
        from: userJson(u),
        date: unix(),
        old_chat_member:
          status === 'kicked' ? { user: bot, status: 'member' } : { user: bot, status: 'kicked', until_date: 0 },
        new_chat_member:
          status === 'kicked' ? { user: bot, status: 'kicked', until_date: 0 } : { user: bot, status: 'member' },
      },
    };
  },
};

/** The inline buttons with callback data a recorded call carried, each with the id of the message it came on. */
export function callbackButtons(call: RecordedCall): { text: string; data: string; messageId: number }[] {
  const rows =
    (call.params.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined)
      ?.inline_keyboard ?? [];
  const messageId = (call.result as { message_id?: number } | undefined)?.message_id ?? NaN;
  return rows
    .flat()
    .filter((b) => b.callback_data !== undefined)
    .map((b) => ({ text: b.text, data: b.callback_data!, messageId }));
}

/** The service's variables for Telegram in webhook mode against this fake, with `secret` as the webhook secret. */
export function webhookEnv(tg: FakeTelegram, secret: string): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_WEBHOOK_SECRET: secret,
    TELEGRAM_API_ROOT: tg.apiRoot,
    TELEGRAM_MODE: 'webhook',
  };
}

/**
 * POST an update to /telegram/webhook as Telegram would. `secret: null` sends no secret header. With `tg`, a
 * Bot API call carried by the answer is made on the fake, as Telegram makes it.
 */
export async function postUpdate(
  app: FastifyInstance,
  update: unknown,
  secret: string | null,
  tg?: FakeTelegram,
): Promise<LightMyRequestResponse> {
  const res = await app.inject({
    method: 'POST',
    url: '/telegram/webhook',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
    },
    payload: typeof update === 'string' ? update : JSON.stringify(update),
  });
  if (tg && res.statusCode === 200) await tg.webhookReply(res.body);
  return res;
}

/**
 * A person chatting with the bot through the webhook. `tap` presses a button the bot's last replies actually
 * offered (by label), on the message that carried it, so a test fails when the button is missing.
 */
export class TelegramPerson {
  /** the bot's replies to the last update this person sent */
  last: RecordedCall[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly tg: FakeTelegram,
    private readonly secret: string,
    readonly user: TgUser,
  ) {}

  async send(update: unknown): Promise<RecordedCall[]> {
    const before = this.tg.sentTo(this.user.id).length;
    const res = await postUpdate(this.app, update, this.secret, this.tg);
    if (res.statusCode !== 200) throw new Error(`POST /telegram/webhook → ${res.statusCode} ${res.body}`);
    this.last = this.tg.sentTo(this.user.id).slice(before);
    return this.last;
  }

  say(text: string) {
    return this.send(tgUpdates.text(this.user, text));
  }

  /** Share a phone number with the contact button (own number unless `owner` says otherwise). */
  shareContact(phone: string, owner: number | null = this.user.id) {
    return this.send(tgUpdates.contact(this.user, phone, owner));
  }

  tap(label: string) {
    return this.send(this.pressUpdate(label));
  }

  /**
   * The callback_query update a press on an offered button (by label) makes, without sending it: for tests
   * that post it themselves (twice, concurrently — Telegram's redelivery, a double tap).
   */
  pressUpdate(label: string, from: RecordedCall[] = this.last) {
    for (const call of [...from].reverse()) {
      const buttons = callbackButtons(call);
      const b = buttons.find((x) => x.text === label) ?? buttons.find((x) => x.text.includes(label));
      if (b) return tgUpdates.button(this.user, b.data, b.messageId);
    }
    throw new Error(`no button "${label}" in the replies:\n${this.transcript(from)}`);
  }

  /** labels of the inline buttons in the last replies */
  buttons(): string[] {
    return this.last.flatMap((c) =>
      ((c.params.reply_markup as { inline_keyboard?: { text: string }[][] } | undefined)?.inline_keyboard ?? [])
        .flat()
        .map((b) => b.text),
    );
  }

  transcript(calls: RecordedCall[] = this.last): string {
    return calls.map((c) => String(c.params.text ?? c.params.caption ?? '[photo]')).join('\n---\n');
  }
}
