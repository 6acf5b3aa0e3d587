import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { apiTokens, consoleLoginLinks, consoleSessions } from '../../db/schema/index.js';
import { readCookie, type Principal, type Role, type SessionResolver } from '../../http/auth.js';
import { accountActor, rolesOf } from '../officials/roles.js';

export const CONSOLE_COOKIE = 'kb_console';
export const CONSOLE_LOGIN_MINUTES = 10;
export const CONSOLE_SESSION_HOURS = 12;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex');

/** A single-use sign-in link for the official's browser (only its hash is stored). */
export async function createConsoleLoginLink(
  db: DbOrTx,
  publicUrl: string,
  accountId: string,
  now: Date,
): Promise<string> {
  const code = randomBytes(24).toString('base64url');
  await db.insert(consoleLoginLinks).values({
    codeHash: hashOf(code),
    accountId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CONSOLE_LOGIN_MINUTES * 60_000),
  });
  return `${publicUrl}/console/login?t=${code}`;
}

/** Whether a sign-in link would still sign in (known, unused, unexpired), without using it up. */
export async function loginLinkUsable(db: DbOrTx, code: string, now: Date): Promise<boolean> {
  const row = await db.query.consoleLoginLinks.findFirst({
    columns: { accountId: true },
    where: and(
      eq(consoleLoginLinks.codeHash, hashOf(code)),
      isNull(consoleLoginLinks.usedAt),
      gt(consoleLoginLinks.expiresAt, now),
    ),
  });
  return row !== undefined;
}

/** Uses up a sign-in link: the account it was made for, or undefined (unknown, used, expired). */
export async function consumeLoginLink(db: DbOrTx, code: string, now: Date): Promise<string | undefined> {
  const rows = await db
    .update(consoleLoginLinks)
    .set({ usedAt: now })
    .where(
      and(
        eq(consoleLoginLinks.codeHash, hashOf(code)),
        isNull(consoleLoginLinks.usedAt),
        gt(consoleLoginLinks.expiresAt, now),
      ),
    )
    .returning({ accountId: consoleLoginLinks.accountId });
  return rows[0]?.accountId;
}

/** A personal API token pasted on the sign-in page: its id, or undefined. */
export async function apiTokenIdOf(db: DbOrTx, token: string): Promise<string | undefined> {
  const hash = createHash('sha256').update(token).digest('hex');
  const row = await db.query.apiTokens.findFirst({
    where: and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)),
  });
  return row?.id;
}

/** Starts a session; returns the cookie's value (the session id itself is never stored). */
export async function createSession(
  db: DbOrTx,
  s: { accountId?: string; apiTokenId?: string; userAgent?: string; now: Date },
): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  await db.insert(consoleSessions).values({
    idHash: hashOf(secret),
    accountId: s.accountId,
    apiTokenId: s.apiTokenId,
    csrfToken: randomBytes(24).toString('base64url'),
    userAgent: s.userAgent?.slice(0, 300),
    createdAt: s.now,
    lastSeenAt: s.now,
    expiresAt: new Date(s.now.getTime() + CONSOLE_SESSION_HOURS * 3_600_000),
  });
  return secret;
}

export type ConsoleSession = typeof consoleSessions.$inferSelect;

export interface SignedIn {
  session: ConsoleSession;
  principal: Principal;
}

/** The request's live session and the principal it stands for (roles read now), or undefined. */
export async function sessionOf(db: Db, req: FastifyRequest, now: Date): Promise<SignedIn | undefined> {
  const secret = readCookie(req, CONSOLE_COOKIE);
  if (!secret || secret.length > 100) return undefined;
  const session = await db.query.consoleSessions.findFirst({
    where: and(
      eq(consoleSessions.idHash, hashOf(secret)),
      isNull(consoleSessions.revokedAt),
      gt(consoleSessions.expiresAt, now),
    ),
  });
  if (!session) return undefined;
  let principal: Principal | undefined;
  if (session.apiTokenId) {
    const token = await db.query.apiTokens.findFirst({
      where: and(eq(apiTokens.id, session.apiTokenId), isNull(apiTokens.revokedAt)),
    });
    if (!token) return undefined;
    let roles = token.roles as Role[];
    if (token.accountId) {
      const held: string[] = await rolesOf(db, token.accountId);
      roles = roles.filter((r) => held.includes(r));
    }
    principal = { id: `token:${token.id}`, roles, accountId: token.accountId ?? undefined };
  } else if (session.accountId) {
    const roles = await rolesOf(db, session.accountId);
    principal = { id: accountActor(session.accountId), roles, accountId: session.accountId };
  }
  if (!principal || principal.roles.length === 0) return undefined;
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    await db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.id, session.id));
  }
  return { session, principal };
}

/** True when `given` is the session's CSRF token. */
export function csrfMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The API's second way in: the console's session cookie, when no Authorization header is sent. Every change
 * (POST, PUT, PATCH, DELETE) must carry the session's CSRF token in `x-csrf-token`, or is refused with 403.
 */
export function consoleSessionResolver(db: Db, clock: Clock): SessionResolver {
  return async (req) => {
    if (!readCookie(req, CONSOLE_COOKIE)) return undefined;
    const signed = await sessionOf(db, req, clock.now());
    if (!signed) return undefined;
    if (STATE_CHANGING.has(req.method) && !csrfMatches(signed.session, req.headers['x-csrf-token'])) {
      throw new AppError('CSRF_TOKEN_MISSING', 'This change needs the console’s CSRF token.', 403);
    }
    return signed.principal;
  };
}

/** The sessions of the same official (the same account, or the same pasted token), newest first. */
export async function sessionsLike(db: DbOrTx, s: ConsoleSession, now: Date): Promise<ConsoleSession[]> {
  const same = s.accountId ? eq(consoleSessions.accountId, s.accountId) : eq(consoleSessions.apiTokenId, s.apiTokenId!);
  return db
    .select()
    .from(consoleSessions)
    .where(and(same, isNull(consoleSessions.revokedAt), gt(consoleSessions.expiresAt, now)))
    .orderBy(desc(consoleSessions.lastSeenAt))
    .limit(50);
}

/** Ends one of the official's own sessions. */
export async function revokeSession(db: DbOrTx, own: ConsoleSession, id: string, now: Date): Promise<boolean> {
  const same = own.accountId
    ? eq(consoleSessions.accountId, own.accountId)
    : eq(consoleSessions.apiTokenId, own.apiTokenId!);
  const rows = await db
    .update(consoleSessions)
    .set({ revokedAt: now })
    .where(and(eq(consoleSessions.id, id), same, isNull(consoleSessions.revokedAt)))
    .returning({ id: consoleSessions.id });
  return rows.length > 0;
}
