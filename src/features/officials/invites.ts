import { randomInt } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import type { DbOrTx } from '../../db/client.js';
import { invites } from '../../db/schema/index.js';
import { sha256 } from '../../http/auth.js';
import { grantRole, recordAudit, type OfficialRole, type RoleScope } from './roles.js';

export const INVITE_TTL_HOURS = 72;
/** No 0/O, 1/I/L: the code is read aloud and typed into Zalo. 32 symbols × 10 = 50 bits. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 10;

export function newInviteCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

/**
 * What a person may type or a link may carry: "O-ABCD234567", "o_abcd234567", "O ABCD 2345 67".
 * Returns the bare code, or undefined when the text is not an invite code.
 */
export function parseInviteCode(text: string, requirePrefix = true): string | undefined {
  const compact = text.trim().toUpperCase().replace(/\s+/g, '');
  const m = (requirePrefix ? /^O[_-]?([A-Z0-9]+)$/ : /^(?:O[_-])?([A-Z0-9]+)$/).exec(compact);
  if (!m || m[1]!.length !== CODE_LENGTH) return undefined;
  return m[1];
}

const hashCode = (code: string) => sha256(code.toUpperCase()).toString('hex');

export interface CreatedInvite {
  id: string;
  code: string;
  role: OfficialRole;
  expiresAt: Date;
  scope?: RoleScope;
}

export async function createInvite(
  db: DbOrTx,
  i: { role: OfficialRole; actor: string; now: Date; ttlHours?: number; scope?: RoleScope },
): Promise<CreatedInvite> {
  const code = newInviteCode();
  const expiresAt = new Date(i.now.getTime() + (i.ttlHours ?? INVITE_TTL_HOURS) * 3_600_000);
  const [row] = await db
    .insert(invites)
    .values({
      codeHash: hashCode(code),
      role: i.role,
      createdBy: i.actor,
      createdAt: i.now,
      expiresAt,
      wardCodes: i.scope?.wardCodes?.length ? i.scope.wardCodes : null,
      districtCode: i.scope?.districtCode ?? null,
    })
    .returning({ id: invites.id });
  await recordAudit(db, {
    actor: i.actor,
    action: 'invite.create',
    subjectType: 'invite',
    subjectId: row!.id,
    details: { role: i.role, ...(i.scope ? { scope: i.scope } : {}) },
    at: i.now,
  });
  return { id: row!.id, code, role: i.role, expiresAt, scope: i.scope };
}

/** The link (Telegram deep link when the bot is known, else a landing page) and the code to type. */
export function inviteLinks(
  deps: Pick<Deps, 'links'>,
  code: string,
): { url: string; telegramUrl?: string; typedCode: string } {
  const telegramUrl = deps.links.telegramStart(`o_${code}`);
  return { url: telegramUrl ?? deps.links.page(`/o/${code}`), telegramUrl, typedCode: `O-${code}` };
}

export type RevokeInviteResult = 'revoked' | 'not_found' | 'already_used' | 'already_revoked';

export async function revokeInvite(
  db: DbOrTx,
  r: { id: string; actor: string; now: Date },
): Promise<RevokeInviteResult> {
  const row = await db.query.invites.findFirst({ where: eq(invites.id, r.id) });
  if (!row) return 'not_found';
  if (row.usedAt) return 'already_used';
  if (row.revokedAt) return 'already_revoked';
  const updated = await db
    .update(invites)
    .set({ revokedAt: r.now })
    .where(and(eq(invites.id, r.id), isNull(invites.usedAt), isNull(invites.revokedAt)))
    .returning({ id: invites.id });
  if (updated.length === 0) return 'already_used';
  await recordAudit(db, {
    actor: r.actor,
    action: 'invite.revoke',
    subjectType: 'invite',
    subjectId: r.id,
    details: { role: row.role },
    at: r.now,
  });
  return 'revoked';
}

export type AcceptInviteResult =
  | { ok: true; role: OfficialRole; inviteId: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'revoked' };

/**
 * Use an invite for a chat account: one conditional UPDATE claims it, so two people opening the same link at
 * once cannot both get the role. The grant is audited with the inviter as actor.
 */
export async function acceptInvite(
  db: DbOrTx,
  a: { code: string; accountId: string; now: Date },
): Promise<AcceptInviteResult> {
  const h = hashCode(a.code);
  const [claimed] = await db
    .update(invites)
    .set({ usedAt: a.now, usedByAccountId: a.accountId })
    .where(
      and(eq(invites.codeHash, h), isNull(invites.usedAt), isNull(invites.revokedAt), gt(invites.expiresAt, a.now)),
    )
    .returning();
  if (!claimed) {
    const row = await db.query.invites.findFirst({ where: eq(invites.codeHash, h) });
    const reason = !row ? 'unknown' : row.revokedAt ? 'revoked' : row.usedAt ? 'used' : 'expired';
    return { ok: false, reason };
  }
  const role = claimed.role as OfficialRole;
  const scope: RoleScope = {
    wardCodes: claimed.wardCodes ?? undefined,
    districtCode: claimed.districtCode ?? undefined,
  };
  await grantRole(db, {
    accountId: a.accountId,
    role,
    actor: claimed.createdBy,
    via: `invite:${claimed.id}`,
    at: a.now,
    scope,
  });
  return { ok: true, role, inviteId: claimed.id };
}
