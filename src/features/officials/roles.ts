import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { officialRoles } from '../../db/schema/index.js';
import type { Role } from '../../http/auth.js';
import { recordAudit } from '../../audit/audit-log.js';

// Officials' code has always found these here; the audit trail itself is its own module.
export { accountActor, recordAudit, type AuditEntry } from '../../audit/audit-log.js';

/** Roles an invite or a token can carry. Venue roles belong to the venues feature (venue_staff). */
export const OFFICIAL_ROLES = ['admin', 'health', 'ward_health', 'comms'] as const;
export type OfficialRole = (typeof OFFICIAL_ROLES)[number];

export function isOfficialRole(v: unknown): v is OfficialRole {
  return typeof v === 'string' && (OFFICIAL_ROLES as readonly string[]).includes(v);
}

/**
 * Who may do what. `admin` may do everything and is implied everywhere; each area lists the other roles.
 * Routes use these with deps.requireRole, chat commands with hasAnyRole, so the two never disagree.
 */
export const ACCESS = {
  officials: [] as Role[],
  broadcasts: ['comms'] as Role[],
  stats: ['health', 'comms'] as Role[],
  cases: ['health'] as Role[],
  /** the ward list (reference data every official picks from) */
  wards: ['health', 'ward_health', 'comms'] as Role[],
  /** ward follow-up of residents (directive §2a): city-wide `health`, or `ward_health` limited to its scope */
  followups: ['health', 'ward_health'] as Role[],
  /** deployment reports (directive §11): the stats roles city-wide, `ward_health` limited to its scope */
  reports: ['health', 'comms', 'ward_health'] as Role[],
  /** importing target lists of venues that must register: `health` city-wide, `ward_health` for its wards */
  targets: ['health', 'ward_health'] as Role[],
} as const;

/** The ward scope a `ward_health` role or invite carries: ward codes, or a district (all its wards), or both. */
export interface RoleScope {
  wardCodes?: string[];
  districtCode?: string;
}

/** The official roles a chat account holds. */
export async function rolesOf(db: DbOrTx, accountId: string): Promise<OfficialRole[]> {
  const rows = await db
    .select({ role: officialRoles.role })
    .from(officialRoles)
    .where(eq(officialRoles.accountId, accountId));
  return rows.map((r) => r.role).filter(isOfficialRole);
}

/** True when the account is an admin or holds one of `roles`. */
export async function hasAnyRole(db: DbOrTx, accountId: string, roles: readonly Role[]): Promise<boolean> {
  const wanted = ['admin', ...roles];
  const rows = await db
    .select({ role: officialRoles.role })
    .from(officialRoles)
    .where(and(eq(officialRoles.accountId, accountId), inArray(officialRoles.role, wanted)))
    .limit(1);
  return rows.length > 0;
}

/** Grant a role to a chat account (idempotent) and audit it. Returns false when it was already held. */
export async function grantRole(
  db: DbOrTx,
  g: { accountId: string; role: OfficialRole; actor: string; via: string; at: Date; scope?: RoleScope },
): Promise<boolean> {
  const scope = {
    wardCodes: g.scope?.wardCodes?.length ? g.scope.wardCodes : null,
    districtCode: g.scope?.districtCode ?? null,
  };
  const values = { accountId: g.accountId, role: g.role, grantedBy: g.actor, grantedAt: g.at, ...scope };
  // A ward_health role granted again (a second invite) takes the new invite's scope; other roles are unchanged.
  const rows =
    g.role === 'ward_health'
      ? await db
          .insert(officialRoles)
          .values(values)
          .onConflictDoUpdate({ target: [officialRoles.accountId, officialRoles.role], set: scope })
          .returning({ role: officialRoles.role, grantedAt: officialRoles.grantedAt })
          .then((r) => r.filter((x) => x.grantedAt.getTime() === g.at.getTime()))
      : await db.insert(officialRoles).values(values).onConflictDoNothing().returning({ role: officialRoles.role });
  await recordAudit(db, {
    actor: g.actor,
    action: 'role.grant',
    subjectType: 'account',
    subjectId: g.accountId,
    details: {
      role: g.role,
      via: g.via,
      alreadyHeld: rows.length === 0,
      ...(g.role === 'ward_health' ? { scope } : {}),
    },
    at: g.at,
  });
  return rows.length > 0;
}

/** Take a role away and audit it. Returns false when the account did not hold it. */
export async function revokeRole(
  db: DbOrTx,
  r: { accountId: string; role: OfficialRole; actor: string; at: Date },
): Promise<boolean> {
  const rows = await db
    .delete(officialRoles)
    .where(and(eq(officialRoles.accountId, r.accountId), eq(officialRoles.role, r.role)))
    .returning({ role: officialRoles.role });
  if (rows.length > 0) {
    await recordAudit(db, {
      actor: r.actor,
      action: 'role.revoke',
      subjectType: 'account',
      subjectId: r.accountId,
      details: { role: r.role },
      at: r.at,
    });
  }
  return rows.length > 0;
}
