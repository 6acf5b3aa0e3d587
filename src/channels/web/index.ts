import { and, asc, eq, inArray } from 'drizzle-orm';
import type { ChannelSender } from '../../core/channel.js';
import { DeliveryError, type ChannelCapabilities } from '../../core/channel.js';
import { splitText } from '../../core/text-split.js';
import type { Deps, DialogRunner } from '../../core/dialog.js';
import { normalizeLocale, tFor } from '../../core/i18n.js';
import { pageLocale } from '../../http/page-shell.js';
import { fromStored, toStored, type Inbound, type Outbound, type StoredOutbound } from '../../core/messages.js';
import { badRequest, notFound } from '../../core/errors.js';
import { plainText } from '../../core/html-text.js';
import { accounts, webInbox } from '../../db/schema/index.js';
import type { AppDeps, RouteModule } from '../../http/app.js';
import { scriptNonce } from '../../http/security.js';
import type { ChannelModule } from '../../core/module.js';
import { chatPage } from './chat-page.js';
import { APP_ICON_SIZES, appIcon, appManifest, serviceWorkerScript } from './app-assets.js';
import { acceptableEndpoint, deleteSubscription, pushToAccount, saveSubscription } from './push.js';

/** The id a browser keeps in localStorage: random, long enough not to be guessed. */
const CLIENT_ID = '^[A-Za-z0-9_-]{16,64}$';

/** What the page receives: Outbound with the image as a data URL. */
export interface WebReply {
  text?: string;
  buttons?: { label: string; payload: string }[][];
  image?: string;
  link?: { label: string; url: string };
}

/** Longest text one chat bubble holds; longer texts arrive as several bubbles. */
const WEB_TEXT_LIMIT = 4096;

/** The page's limits; it shows rows of buttons and images and cannot change a bubble it already shows. */
export const WEB_CAPABILITIES: ChannelCapabilities = {
  textLimit: WEB_TEXT_LIMIT,
  editsInPlace: false,
  contactRequest: false,
  buttons: { perRow: 8, total: 100 },
  photoUpload: true,
};

/** One Outbound as the bubbles the page shows: a long text is split, buttons and image ride on the last. */
export function toWebReplies(m: Outbound): WebReply[] {
  const text = m.text === undefined ? undefined : plainText(m);
  if (text === undefined || text.length <= WEB_TEXT_LIMIT) return [toWebReply(m)];
  const pieces = splitText(text, WEB_TEXT_LIMIT);
  const last = pieces.pop()!;
  return [...pieces.map((p) => ({ text: p })), toWebReply({ ...m, text: last, format: undefined })];
}

export function toWebReply(m: Outbound): WebReply {
  const r: WebReply = {};
  // The page shows plain text only: Telegram's HTML (a formatted broadcast) arrives as the words it shows.
  if (m.text !== undefined) r.text = plainText(m);
  if (m.buttons?.length) r.buttons = m.buttons;
  if (m.image) r.image = `data:image/png;base64,${m.image.png.toString('base64')}`;
  if (m.link) r.link = m.link;
  return r;
}

interface MessageBody {
  clientId: string;
  messageId?: string;
  text?: string;
  payload?: string;
  start?: string;
  language?: string;
}

const webRoutes =
  (runner: DialogRunner): RouteModule =>
  (app, deps) => {
    app.get('/chat', async (req, reply) => {
      // The browser's language (or ?lang=) is the first suggestion; the page follows the resident's choice after.
      const locale = pageLocale(req);
      reply.header('content-type', 'text/html; charset=utf-8');
      reply.header('cache-control', 'no-store');
      return chatPage(tFor(locale), locale, scriptNonce(reply), deps.secrets().vapid.publicKey);
    });

    app.get('/chat/manifest.webmanifest', async (req, reply) => {
      const locale = normalizeLocale((req.headers['accept-language'] ?? 'vi').split(',')[0]);
      reply.header('content-type', 'application/manifest+json; charset=utf-8');
      reply.header('cache-control', 'no-cache');
      return JSON.stringify(appManifest(tFor(locale), locale));
    });

    // Served from /chat/ but controlling /chat itself (the page's address has no trailing slash).
    app.get('/chat/sw.js', async (_req, reply) => {
      reply.header('content-type', 'text/javascript; charset=utf-8');
      reply.header('cache-control', 'no-cache');
      reply.header('service-worker-allowed', '/chat');
      return serviceWorkerScript(tFor('vi')('common:service_name'));
    });

    for (const size of APP_ICON_SIZES) {
      app.get(`/chat/icon-${size}.png`, async (_req, reply) => {
        reply.header('content-type', 'image/png');
        reply.header('cache-control', 'public, max-age=86400');
        return appIcon(size);
      });
    }

    /** The page's push subscription (PushSubscription.toJSON()), kept for its account; 404 before it has one. */
    app.post<{ Body: { clientId: string; endpoint: string; keys: { p256dh: string; auth: string } } }>(
      '/chat/api/push',
      {
        bodyLimit: 4 * 1024,
        schema: {
          body: {
            type: 'object',
            required: ['clientId', 'endpoint', 'keys'],
            additionalProperties: false,
            properties: {
              clientId: { type: 'string', pattern: CLIENT_ID },
              endpoint: { type: 'string', minLength: 8, maxLength: 1024 },
              keys: {
                type: 'object',
                required: ['p256dh', 'auth'],
                additionalProperties: false,
                properties: {
                  // an uncompressed P-256 point (65 bytes) and a 16-byte secret, base64url
                  p256dh: { type: 'string', pattern: '^[A-Za-z0-9_-]{86,88}={0,2}$' },
                  auth: { type: 'string', pattern: '^[A-Za-z0-9_-]{22,24}={0,2}$' },
                },
              },
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (!acceptableEndpoint(b.endpoint, deps.config.publicUrl))
          throw badRequest('WEB_PUSH_BAD_ENDPOINT', 'The endpoint is not a push service address.');
        const account = await webAccount(deps, b.clientId);
        if (!account) throw notFound('WEB_CHAT_UNKNOWN_CLIENT', 'No web chat account has this client id.');
        await saveSubscription(deps.database.db, account.id, { endpoint: b.endpoint, keys: b.keys }, deps.clock.now());
        return reply.code(204).send();
      },
    );

    /** The page turned notifications off (or the browser dropped its subscription). */
    app.post<{ Body: { clientId: string; endpoint: string } }>(
      '/chat/api/push/delete',
      {
        bodyLimit: 4 * 1024,
        schema: {
          body: {
            type: 'object',
            required: ['clientId', 'endpoint'],
            additionalProperties: false,
            properties: {
              clientId: { type: 'string', pattern: CLIENT_ID },
              endpoint: { type: 'string', minLength: 8, maxLength: 1024 },
            },
          },
        },
      },
      async (req, reply) => {
        const account = await webAccount(deps, req.body.clientId);
        if (account) await deleteSubscription(deps.database.db, account.id, req.body.endpoint);
        return reply.code(204).send();
      },
    );

    app.post<{ Body: MessageBody }>(
      '/chat/api/messages',
      {
        bodyLimit: 8 * 1024,
        schema: {
          body: {
            type: 'object',
            required: ['clientId'],
            additionalProperties: false,
            properties: {
              clientId: { type: 'string', pattern: CLIENT_ID },
              messageId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
              text: { type: 'string', minLength: 1, maxLength: 2000 },
              payload: { type: 'string', minLength: 1, maxLength: 64 },
              start: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9_-]*$' },
              language: { type: 'string', maxLength: 35 },
            },
          },
        },
      },
      async (req) => {
        const b = req.body;
        const given = [b.text, b.payload, b.start].filter((v) => v !== undefined).length;
        if (given !== 1) throw badRequest('WEB_CHAT_BAD_MESSAGE', 'Send exactly one of text, payload or start.');
        const base = {
          channel: 'web' as const,
          accountId: b.clientId,
          messageId: b.messageId,
          languageHint: b.language,
        };
        const inbound: Inbound =
          b.text !== undefined
            ? { ...base, kind: 'text', text: b.text }
            : b.payload !== undefined
              ? { ...base, kind: 'button', payload: b.payload }
              : { ...base, kind: 'start', param: b.start ?? '' };
        const result = await runner.handle(inbound);
        // Declared once: the page may offer notifications (it asks the browser only when the person taps).
        const declared = (await webAccount(deps, b.clientId))?.personId != null;
        return {
          replies: result.replies.flatMap(toWebReplies),
          locale: result.locale,
          duplicate: result.duplicate,
          declared,
        };
      },
    );

    /** Messages the service sent on its own (alerts, announcements) since the page last asked; each is given once. */
    app.get<{ Querystring: { clientId: string } }>(
      '/chat/api/inbox',
      {
        schema: {
          querystring: {
            type: 'object',
            required: ['clientId'],
            properties: { clientId: { type: 'string', pattern: CLIENT_ID } },
          },
        },
      },
      async (req) => {
        const db = deps.database.db;
        const account = await db.query.accounts.findFirst({
          where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, req.query.clientId)),
        });
        if (!account) return { replies: [] };
        const rows = await db
          .select()
          .from(webInbox)
          .where(eq(webInbox.accountId, account.id))
          .orderBy(asc(webInbox.createdAt))
          .limit(50);
        if (rows.length === 0) return { replies: [] };
        // Only the rows this request deleted are its to give: a poll running alongside may have taken some.
        const taken = await db
          .delete(webInbox)
          .where(
            inArray(
              webInbox.id,
              rows.map((r) => r.id),
            ),
          )
          .returning({ id: webInbox.id });
        const mine = new Set(taken.map((r) => r.id));
        return {
          replies: rows
            .filter((r) => mine.has(r.id))
            .flatMap((r) => fromStored(r.payload as StoredOutbound[]).flatMap(toWebReplies)),
        };
      },
    );
  };

async function webAccount(deps: Pick<Deps, 'database'>, clientId: string) {
  return deps.database.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, clientId)),
  });
}

/** Outbox delivery to a browser: kept in web_inbox until the page collects it. */
export function webSender(deps: Deps): ChannelSender {
  return {
    name: 'web',
    label: 'web',
    capabilities: WEB_CAPABILITIES,
    ratePerSecond: 200,
    async send(externalId, messages) {
      const db = deps.database.db;
      const account = await db.query.accounts.findFirst({
        where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, externalId)),
      });
      if (!account) throw new DeliveryError('unreachable', 'web chat account no longer exists');
      const [row] = await db
        .insert(webInbox)
        .values({ accountId: account.id, payload: toStored(messages), createdAt: deps.clock.now() })
        .returning({ id: webInbox.id });
      // The inbox has the message; the push only wakes the browser (never fails the delivery).
      await pushToAccount(deps, account.id, messages);
      return { messageRef: row?.id };
    },
  };
}

export const webChannel: ChannelModule<AppDeps> = {
  name: 'web',
  enabled: (deps) => deps.config.webChat,
  // Uncollected messages expire with the rest of the personal data: see src/features/retention.
  create: (deps, runner) => ({ sender: webSender(deps), routes: webRoutes(runner) }),
};
