import { eq, inArray } from 'drizzle-orm';
import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import { districts, officialRoles, wards } from '../../db/schema/index.js';
import type { Principal } from '../../http/auth.js';
import type { RoleScope } from './roles.js';

/**
 * The wards an official may see: everything (admin, city-wide health) or a list of ward codes (the union of
 * the account's `ward_health` scopes, a district standing for all its wards).
 */
export type WardScope = { all: true } | { all: false; wardCodes: string[] };

export const inScope = (scope: WardScope, wardCode: string | null | undefined): boolean =>
  scope.all || (!!wardCode && scope.wardCodes.includes(wardCode));

/** A chat account's scope, or undefined when it holds no role that reads follow-ups. */
export async function scopeOfAccount(db: DbOrTx, accountId: string): Promise<WardScope | undefined> {
  const rows = await db.select().from(officialRoles).where(eq(officialRoles.accountId, accountId));
  if (rows.some((r) => r.role === 'admin' || r.role === 'health')) return { all: true };
  const scoped = rows.filter((r) => r.role === 'ward_health');
  if (scoped.length === 0) return undefined;
  const codes = new Set<string>(scoped.flatMap((r) => r.wardCodes ?? []));
  const districtCodes = scoped.map((r) => r.districtCode).filter((d): d is string => !!d);
  if (districtCodes.length > 0) {
    const inDistricts = await db
      .select({ code: wards.code })
      .from(wards)
      .where(inArray(wards.districtCode, districtCodes));
    for (const w of inDistricts) codes.add(w.code);
  }
  return { all: false, wardCodes: [...codes].sort() };
}

/**
 * An API caller's scope. The bootstrap token and tokens carrying `admin` or `health` see every ward; a
 * `ward_health` token sees its account's scope (a token not bound to an account has none: it sees nothing).
 */
export async function scopeOfPrincipal(db: DbOrTx, p: Principal): Promise<WardScope> {
  if (p.roles.includes('admin') || p.roles.includes('health')) return { all: true };
  if (!p.accountId) return { all: false, wardCodes: [] };
  const s = await scopeOfAccount(db, p.accountId);
  return s ?? { all: false, wardCodes: [] };
}

/**
 * Checks a scope given to an invite: only `ward_health` takes one and requires it; every ward and the district
 * must exist. Throws 400 otherwise.
 */
export async function validateScope(
  db: DbOrTx,
  role: string,
  scope: RoleScope | undefined,
): Promise<RoleScope | undefined> {
  const has = !!scope && ((scope.wardCodes?.length ?? 0) > 0 || !!scope.districtCode);
  if (role !== 'ward_health') {
    if (has)
      throw new AppError('SCOPE_NOT_ALLOWED', 'Only the ward_health role is scoped to wards or a district.', 400);
    return undefined;
  }
  if (!has) throw new AppError('SCOPE_REQUIRED', 'A ward_health invite needs wardCodes or a districtCode.', 400);
  const wardCodes = [...new Set(scope!.wardCodes ?? [])];
  if (wardCodes.length > 0) {
    const found = await db.select({ code: wards.code }).from(wards).where(inArray(wards.code, wardCodes));
    const missing = wardCodes.filter((c) => !found.some((f) => f.code === c));
    if (missing.length > 0) throw new AppError('UNKNOWN_WARD', `Unknown ward code: ${missing.join(', ')}.`, 400);
  }
  if (scope!.districtCode) {
    const d = await db.query.districts.findFirst({ where: eq(districts.code, scope!.districtCode) });
    if (!d) throw new AppError('UNKNOWN_DISTRICT', `Unknown district code: ${scope!.districtCode}.`, 400);
  }
  return { wardCodes: wardCodes.length > 0 ? wardCodes : undefined, districtCode: scope!.districtCode || undefined };
}

/**
 * What an admin types after `/moi ward_health`: ward codes separated by commas or spaces ("31117,31120"), or a
 * district code ("916"). Codes of 5 digits are wards, of 3 digits districts.
 */
export function parseScopeText(text: string): RoleScope | undefined {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d{3}$|^\d{5}$/.test(p))) return undefined;
  const districtCodes = parts.filter((p) => p.length === 3);
  if (districtCodes.length > 1) return undefined;
  const wardCodes = parts.filter((p) => p.length === 5);
  return { wardCodes: wardCodes.length ? wardCodes : undefined, districtCode: districtCodes[0] };
}
