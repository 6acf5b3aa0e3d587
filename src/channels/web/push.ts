import { and, eq, inArray } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import { tFor } from '../../core/i18n.js';
import type { Outbound } from '../../core/messages.js';
import { plainText } from '../../core/html-text.js';
import type { DbOrTx } from '../../db/client.js';
import { accounts, webPushSubscriptions } from '../../db/schema/index.js';

/**
 * Web Push for the web chat (RFC 8030/8291/8292): what the outbox delivers to a web account's inbox is also
 * pushed to each browser that subscribed, so an alert reaches people whose page is closed. The page still
 * collects the full message from its inbox when opened; the push carries only a title, the first words of
 * the message and the chat's address.
 */

/** What the service worker receives (and test/web/push.test.ts decrypts). */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  /** notifications with the same tag replace each other on the device */
  tag: string;
}

export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Longest notification body; the whole message waits in the chat. */
export const PUSH_BODY_LIMIT = 180;
/** How long the push service keeps an undelivered message (seconds): an alert a day late is still worth it. */
const PUSH_TTL_SECONDS = 24 * 3600;
const PUSH_TIMEOUT_MS = 10_000;

/**
 * Only the push services' own addresses: https, not an IP literal, not localhost — the endpoint comes from a
 * browser and the service POSTs to it, so it must not reach inside the network. A development service (an
 * http:// PUBLIC_URL) also accepts loopback http endpoints, which is what the tests' fake push service is.
 */
export function acceptableEndpoint(endpoint: string, publicUrl: string): boolean {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || /^[0-9.]+$/.test(host) || host.includes(':');
  if (u.protocol === 'https:' && !local) return true;
  const development = publicUrl.startsWith('http://');
  return (
    development &&
    (u.protocol === 'http:' || u.protocol === 'https:') &&
    (host === '127.0.0.1' || host === 'localhost' || host === '::1')
  );
}

/** Keeps the page's subscription for the account; a browser moving to another account takes its endpoint along. */
export async function saveSubscription(
  db: DbOrTx,
  accountId: string,
  sub: SubscriptionInput,
  now: Date,
): Promise<void> {
  await db
    .insert(webPushSubscriptions)
    .values({
      accountId,
      endpoint: sub.endpoint,
      p256dh: sub.keys.p256dh,
      auth: sub.keys.auth,
      createdAt: now,
      seenAt: now,
    })
    .onConflictDoUpdate({
      target: webPushSubscriptions.endpoint,
      set: { accountId, p256dh: sub.keys.p256dh, auth: sub.keys.auth, seenAt: now },
    });
}

export async function deleteSubscription(db: DbOrTx, accountId: string, endpoint: string): Promise<void> {
  await db
    .delete(webPushSubscriptions)
    .where(and(eq(webPushSubscriptions.accountId, accountId), eq(webPushSubscriptions.endpoint, endpoint)));
}

/** The notification for messages: the service's name, the first text cut short, and the chat's address. */
export function pushPayload(deps: Pick<Deps, 'links'>, locale: string, messages: Outbound[]): PushPayload {
  const t = tFor(locale);
  const first = messages.find((m) => m.text !== undefined);
  const text = first ? plainText(first).replace(/\s+/g, ' ').trim() : '';
  const body =
    text.length > PUSH_BODY_LIMIT
      ? `${text.slice(0, PUSH_BODY_LIMIT - 1).trimEnd()}…`
      : text || t('web:push_default_body');
  return { title: t('common:service_name'), body, url: deps.links.webChat(), tag: 'khaibao' };
}

/** The VAPID subject (RFC 8292 §2.1): the service's https address, or a mailto: while it has none. */
function vapidSubject(publicUrl: string): string {
  return publicUrl.startsWith('https://') ? publicUrl : 'mailto:webpush@khaibao.invalid';
}

export interface PushOutcome {
  sent: number;
  /** subscriptions the push service no longer knows (404/410), now deleted */
  dropped: number;
  failed: number;
}

/**
 * Pushes the messages' notification to every browser of the account. Never throws: the messages are in the
 * inbox already, the push is a wake-up call. 404/410 mean the browser unsubscribed or the subscription
 * expired: the row goes.
 */
export async function pushToAccount(deps: Deps, accountId: string, messages: Outbound[]): Promise<PushOutcome> {
  const out: PushOutcome = { sent: 0, dropped: 0, failed: 0 };
  const db = deps.database.db;
  const subs = await db.select().from(webPushSubscriptions).where(eq(webPushSubscriptions.accountId, accountId));
  if (subs.length === 0) return out;
  const account = await db.query.accounts.findFirst({ where: eq(accounts.id, accountId), columns: { locale: true } });
  const payload = JSON.stringify(pushPayload(deps, account?.locale ?? 'vi', messages));
  const vapid = deps.secrets().vapid;
  // imported with the first push, not at start-up (most instances never send one)
  const { default: webpush } = await import('web-push');
  const gone: string[] = [];
  for (const sub of subs) {
    try {
      if (!acceptableEndpoint(sub.endpoint, deps.config.publicUrl)) {
        gone.push(sub.id);
        continue;
      }
      // web-push builds the request (aes128gcm payload, VAPID JWT); fetch sends it, to http (tests) and https alike.
      const req = webpush.generateRequestDetails(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        payload,
        {
          vapidDetails: {
            subject: vapidSubject(deps.config.publicUrl),
            publicKey: vapid.publicKey,
            privateKey: vapid.privateKey,
          },
          contentEncoding: 'aes128gcm',
          TTL: PUSH_TTL_SECONDS,
          urgency: 'high',
        },
      );
      const res = await fetch(req.endpoint, {
        method: 'POST',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: req.body ? new Uint8Array(req.body) : null,
        redirect: 'error',
        signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 404 || res.status === 410) {
        gone.push(sub.id);
      } else if (res.ok) {
        out.sent++;
      } else {
        out.failed++;
        deps.log.warn({ status: res.status, host: new URL(sub.endpoint).host }, 'web push refused');
      }
    } catch (err) {
      out.failed++;
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'web push failed');
    }
  }
  if (gone.length > 0) {
    await db.delete(webPushSubscriptions).where(inArray(webPushSubscriptions.id, gone));
    out.dropped = gone.length;
  }
  return out;
}
