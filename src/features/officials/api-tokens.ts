import { randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../../core/clock.js';
import type { Db, DbOrTx } from '../../db/client.js';
import { apiTokens } from '../../db/schema/index.js';
import { sha256, type Role, type TokenResolver } from '../../http/auth.js';
import { recordAudit, rolesOf, type OfficialRole } from './roles.js';

/** Personal tokens look like `kb_…` so a leaked one is easy to recognise (and to grep for). */
const TOKEN_PREFIX = 'kb_';
const hashToken = (token: string) => sha256(token).toString('hex');

/** Create a token; the plain token is returned once and never stored. */
export async function createApiToken(
  db: DbOrTx,
  t: { roles: OfficialRole[]; accountId?: string; label?: string; actor: string; now: Date },
): Promise<{ id: string; token: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(apiTokens)
    .values({
      tokenHash: hashToken(token),
      roles: t.roles,
      accountId: t.accountId,
      label: t.label,
      createdBy: t.actor,
      createdAt: t.now,
    })
    .returning({ id: apiTokens.id });
  await recordAudit(db, {
    actor: t.actor,
    action: 'token.create',
    subjectType: 'api_token',
    subjectId: row!.id,
    details: { roles: t.roles, accountId: t.accountId ?? null },
    at: t.now,
  });
  return { id: row!.id, token };
}

export async function revokeApiToken(db: DbOrTx, r: { id: string; actor: string; now: Date }): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: r.now })
    .where(and(eq(apiTokens.id, r.id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (rows.length > 0) {
    await recordAudit(db, {
      actor: r.actor,
      action: 'token.revoke',
      subjectType: 'api_token',
      subjectId: r.id,
      at: r.now,
    });
  }
  return rows.length > 0;
}

/**
 * Resolves personal API tokens. A token bound to a chat account carries no more than the roles the account
 * still holds, so taking a role away also takes it from the account's tokens.
 */
export function apiTokenResolver(db: Db, clock: Clock): TokenResolver {
  return async (token) => {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const row = await db.query.apiTokens.findFirst({
      where: and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)),
    });
    if (!row) return undefined;
    let roles = row.roles as Role[];
    if (row.accountId) {
      const held = await rolesOf(db, row.accountId);
      roles = roles.filter((r) => (held as string[]).includes(r));
    }
    const now = clock.now();
    // Touch at most once a minute: every request writing a row would be wasteful.
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
      await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
    }
    return { id: `token:${row.id}`, roles, accountId: row.accountId ?? undefined };
  };
}
