import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** One request the fake received. */
export interface FakeCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Zalo's `error` in the answer: 0 = delivered */
  error?: number;
}

interface InjectedError {
  path: string;
  error: number;
  message: string;
  remaining: number;
  userId?: string;
}

export const ZALO_APP = {
  appId: '1234567890123456789',
  appSecret: 'app-secret-for-tests',
  oaId: '5550001112223334445',
  oaSecretKey: 'oa-secret-key-for-tests',
};

/**
 * A loopback Zalo: the OA Open API (consultation, template, image upload) and the OAuth v4 token endpoint.
 * Failures come as HTTP 200 with a non-zero `error`, as Zalo sends them. Access tokens are checked; each
 * refresh token works once and is replaced (rotation), and reusing one answers an error.
 */
export class FakeZalo {
  readonly calls: FakeCall[] = [];
  readonly refreshCalls: { refreshToken: string; appId: string; secretKey: string | undefined; grantType: string }[] =
    [];
  readonly uploads: { bytes: Buffer; filename: string; contentType: string }[] = [];
  /** users whose interaction window has closed: consultation messages answer -230 */
  readonly windowClosed = new Set<string>();
  /** delay before the OAuth server answers (to make refreshes overlap) */
  oauthDelayMs = 0;
  accessTokenLifetime = '90000';
  private validAccess = new Set<string>();
  private currentRefresh: string;
  private readonly spentRefresh = new Set<string>();
  private errors: InjectedError[] = [];
  private server?: Server;
  private seq = 0;
  base = '';

  constructor(
    readonly initialAccess = 'access-0',
    initialRefresh = 'refresh-0',
  ) {
    this.validAccess.add(initialAccess);
    this.currentRefresh = initialRefresh;
  }

  get apiRoot(): string {
    return this.base;
  }
  get oauthRoot(): string {
    return `${this.base}/oauth`;
  }
  /** The environment a test service needs to talk to this fake. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ZALO_APP_ID: ZALO_APP.appId,
      ZALO_APP_SECRET: ZALO_APP.appSecret,
      ZALO_OA_ID: ZALO_APP.oaId,
      ZALO_OA_SECRET_KEY: ZALO_APP.oaSecretKey,
      ZALO_ACCESS_TOKEN: this.initialAccess,
      ZALO_REFRESH_TOKEN: this.currentRefresh,
      ZALO_API_ROOT: this.apiRoot,
      ZALO_OAUTH_ROOT: this.oauthRoot,
      ...extra,
    };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answer the next `count` calls to `path` (for `userId` only, when given) with Zalo error `error`. */
  failNext(path: string, error: number, message = 'injected', count = 1, userId?: string): void {
    this.errors.push({ path, error, message, remaining: count, userId });
  }

  /** Every access token issued so far stops working (Zalo answers -216). */
  revokeAccessTokens(): void {
    this.validAccess.clear();
  }

  /** Consultation messages delivered (Zalo answered error 0), in order: {userId, message}. */
  get messages(): { userId: string; message: Record<string, unknown> }[] {
    return this.calls
      .filter((c) => c.path === '/v3.0/oa/message/cs' && c.error === 0)
      .map((c) => {
        const b = c.body as { recipient: { user_id: string }; message: Record<string, unknown> };
        return { userId: b.recipient.user_id, message: b.message };
      });
  }

  /** Texts sent to one user by consultation message, in order. */
  textsTo(userId: string): string[] {
    return this.messages
      .filter((m) => m.userId === userId && typeof m.message.text === 'string')
      .map((m) => m.message.text as string);
  }

  /** Template messages delivered. */
  get templateCalls(): FakeCall[] {
    return this.calls.filter((c) => c.path === '/v3.0/oa/message/template' && c.error === 0);
  }

  clear(): void {
    this.calls.length = 0;
    this.uploads.length = 0;
    this.refreshCalls.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = (req.url ?? '').split('?')[0] ?? '';
    let call: FakeCall | undefined;
    const send = (body: { error?: number } & Record<string, unknown>) => {
      if (call) call.error = body.error ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

    if (path === '/oauth/v4/oa/access_token' && req.method === 'POST') {
      const form = new URLSearchParams(raw.toString('utf8'));
      const call = {
        refreshToken: form.get('refresh_token') ?? '',
        appId: form.get('app_id') ?? '',
        secretKey: req.headers.secret_key as string | undefined,
        grantType: form.get('grant_type') ?? '',
      };
      this.refreshCalls.push(call);
      if (this.oauthDelayMs) await new Promise((r) => setTimeout(r, this.oauthDelayMs));
      if (
        call.secretKey !== ZALO_APP.appSecret ||
        call.appId !== ZALO_APP.appId ||
        call.grantType !== 'refresh_token'
      ) {
        return send({ error: -14002, error_name: 'Invalid app', error_description: 'app_id or secret_key is wrong' });
      }
      if (call.refreshToken !== this.currentRefresh || this.spentRefresh.has(call.refreshToken)) {
        return send({
          error: -14014,
          error_name: 'Invalid refresh token',
          error_description: 'Refresh token is invalid or used',
        });
      }
      this.spentRefresh.add(call.refreshToken);
      const n = ++this.seq;
      const access = `access-${n}-${randomBytes(4).toString('hex')}`;
      this.currentRefresh = `refresh-${n}-${randomBytes(4).toString('hex')}`;
      this.validAccess.add(access);
      return send({ access_token: access, refresh_token: this.currentRefresh, expires_in: this.accessTokenLifetime });
    }

    let body: unknown = undefined;
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('application/json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send({ error: -201, message: 'Body is not JSON' });
      }
    }
    call = { path, headers: req.headers, body };
    this.calls.push(call);

    const token = req.headers.access_token;
    if (typeof token !== 'string' || !this.validAccess.has(token)) {
      return send({ error: -216, message: 'Access token is invalid' });
    }
    const userId =
      (body as { recipient?: { user_id?: string } } | undefined)?.recipient?.user_id ??
      (body as { user_id?: string } | undefined)?.user_id;
    const injected = this.errors.find((e) => e.path === path && e.remaining > 0 && (!e.userId || e.userId === userId));
    if (injected) {
      injected.remaining--;
      return send({ error: injected.error, message: injected.message });
    }

    switch (path) {
      case '/v3.0/oa/message/cs': {
        const b = body as { recipient?: { user_id?: unknown }; message?: { text?: unknown } };
        if (typeof b?.recipient?.user_id !== 'string' || !b.message)
          return send({ error: -201, message: 'Parameters are invalid' });
        if (typeof b.message.text === 'string' && b.message.text.length > 2000) {
          return send({ error: -210, message: 'Text exceeds 2000 characters' });
        }
        if (this.windowClosed.has(b.recipient.user_id)) {
          return send({ error: -230, message: 'User has not interacted with the OA in the past 7 days' });
        }
        return send({
          error: 0,
          message: 'Success',
          data: { message_id: `mid-${++this.seq}`, user_id: b.recipient.user_id },
        });
      }
      case '/v3.0/oa/message/template': {
        const b = body as { user_id?: unknown; template_id?: unknown; template_data?: unknown };
        if (
          typeof b?.user_id !== 'string' ||
          typeof b.template_id !== 'string' ||
          typeof b.template_data !== 'object'
        ) {
          return send({ error: -201, message: 'Parameters are invalid' });
        }
        return send({ error: 0, message: 'Success', data: { msg_id: `tpl-${++this.seq}` } });
      }
      case '/v2.0/oa/upload/image': {
        const file = parseMultipartFile(raw, contentType);
        if (!file) return send({ error: -201, message: 'file is required' });
        if (file.bytes.length > 1024 * 1024) return send({ error: -210, message: 'File size exceeds 1MB' });
        this.uploads.push(file);
        return send({ error: 0, message: 'Success', data: { attachment_id: `att-${++this.seq}` } });
      }
      default:
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 404, message: 'no such API' }));
    }
  }
}

function parseMultipartFile(
  raw: Buffer,
  contentType: string,
): { bytes: Buffer; filename: string; contentType: string } | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let pos = raw.indexOf(delimiter);
  while (pos !== -1) {
    const headerEnd = raw.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) return undefined;
    const headers = raw.subarray(pos + delimiter.length, headerEnd).toString('utf8');
    const next = raw.indexOf(delimiter, headerEnd);
    if (/name="file"/.test(headers) && next !== -1) {
      return {
        bytes: raw.subarray(headerEnd + 4, next - 2),
        filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? '',
        contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? '',
      };
    }
    pos = next;
  }
  return undefined;
}

let eventSeq = 0;
let eventClock: { now(): Date } = { now: () => new Date() };
let lastStamp = 0;
// Distinct like Zalo's (a follow's message id is made of its timestamp) even while a ManualClock stands still.
const nowMs = () => {
  let t = eventClock.now().getTime();
  if (t <= lastStamp && lastStamp - t < 60_000) t = lastStamp + 1;
  lastStamp = t;
  return String(t);
};

/**
 * Events built from here carry this clock's time (startTestService passes the service's clock), so they fall
 * inside the webhook's time window however the test moves its ManualClock.
 */
export function stampZaloEventsWith(clock: { now(): Date }): void {
  eventClock = clock;
}

/** Zalo OA webhook payloads, shaped like Zalo's examples (all ids and timestamps are strings). */
export const zaloEvents = {
  text(userId: string, text: string, msgId = `msg-${++eventSeq}-${randomBytes(3).toString('hex')}`) {
    return {
      app_id: ZALO_APP.appId,
      sender: { id: userId },
      user_id_by_app: `app-${userId}`,
      recipient: { id: ZALO_APP.oaId },
      event_name: 'user_send_text',
      message: { text, msg_id: msgId },
      timestamp: nowMs(),
    };
  },
  image(userId: string) {
    return {
      app_id: ZALO_APP.appId,
      sender: { id: userId },
      user_id_by_app: `app-${userId}`,
      recipient: { id: ZALO_APP.oaId },
      event_name: 'user_send_image',
      message: {
        msg_id: `msg-${++eventSeq}`,
        attachments: [
          { type: 'image', payload: { thumbnail: 'https://example.test/t.jpg', url: 'https://example.test/i.jpg' } },
        ],
      },
      timestamp: nowMs(),
    };
  },
  follow(userId: string, event: 'follow' | 'unfollow' = 'follow') {
    return {
      oa_id: ZALO_APP.oaId,
      follower: { id: userId },
      user_id_by_app: `app-${userId}`,
      event_name: event,
      source: 'oa_profile',
      app_id: ZALO_APP.appId,
      timestamp: nowMs(),
    };
  },
  submitInfo(userId: string, phone: string, name: string) {
    return {
      app_id: ZALO_APP.appId,
      sender: { id: userId },
      recipient: { id: ZALO_APP.oaId },
      event_name: 'user_submit_info',
      info: { name, phone, address: '', city: '', district: '' },
      user_id_by_app: `app-${userId}`,
      timestamp: nowMs(),
    };
  },
};

/** X-ZEvent-Signature for a raw body, as Zalo computes it. */
export function zaloSignature(
  rawBody: string,
  timestamp: string,
  id = ZALO_APP.appId,
  secret = ZALO_APP.oaSecretKey,
): string {
  return `mac=${createHash('sha256')
    .update(id + rawBody + timestamp + secret)
    .digest('hex')}`;
}

/** POST an event to /zalo/webhook signed correctly (or with `signature` overriding the header). */
export function postZaloEvent(
  app: FastifyInstance,
  event: { timestamp: string } & Record<string, unknown>,
  opts: { signature?: string | null; rawBody?: string } = {},
) {
  const raw = opts.rawBody ?? JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = opts.signature === undefined ? zaloSignature(JSON.stringify(event), event.timestamp) : opts.signature;
  if (sig !== null) headers['x-zevent-signature'] = sig;
  return app.inject({ method: 'POST', url: '/zalo/webhook', headers, payload: raw });
}

/** Wait until `check` passes (replies are sent after the webhook answers). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
