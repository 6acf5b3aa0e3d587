import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import type { ChannelName } from '../../core/messages.js';
import { foldText } from '../../core/text-fold.js';
import { wardSearchName } from '../wards/store.js';

export type Audience = { all: true } | { wardCodes: string[] };

/**
 * Who an announcement goes to: accounts that consented, and for ward targeting those whose own person record
 * (the account holder, not family members) lives in one of the wards. EXISTS rather than a join so an account
 * is one row whatever its person records.
 */
export function audienceCondition(audience: Audience, alias = 'a'): SQL {
  const a = sql.raw(alias);
  const consented = sql`${a}.consented_at is not null`;
  if ('all' in audience) return consented;
  const codes = sql.join(
    audience.wardCodes.map((c) => sql`${c}`),
    sql`, `,
  );
  return sql`${consented} and exists (select 1 from persons p where p.owner_account_id = ${a}.id and p.is_self and p.ward_code in (${codes}))`;
}

export interface AudienceCount {
  /** every consenting account in the audience */
  total: number;
  /** of those, marked unreachable (blocked the bot, unfollowed): counted, not sent */
  unreachable: number;
  /** reachable accounts per channel (for per-channel length limits) */
  byChannel: Partial<Record<ChannelName, number>>;
}

export async function countAudience(db: DbOrTx, audience: Audience): Promise<AudienceCount> {
  if ('wardCodes' in audience && audience.wardCodes.length === 0) return { total: 0, unreachable: 0, byChannel: {} };
  const rows = await queryRows<{ channel: string; total: number | string; unreachable: number | string }>(
    db,
    sql`select a.channel, count(*) as total, count(a.unreachable_at) as unreachable
        from accounts a where ${audienceCondition(audience)} group by a.channel`,
  );
  const out: AudienceCount = { total: 0, unreachable: 0, byChannel: {} };
  for (const r of rows) {
    const total = Number(r.total);
    const unreachable = Number(r.unreachable);
    out.total += total;
    out.unreachable += unreachable;
    if (total - unreachable > 0) out.byChannel[r.channel as ChannelName] = total - unreachable;
  }
  return out;
}

/** Lower case, no diacritics, đ → d: how people type ward names. */
export const foldName = foldText;

/** "Phường An Hòa" and "an hoa" are the same ward to a reader. */
const bareWardName = wardSearchName;

export type WardMatch =
  | { ok: true; wards: { code: string; name: string }[] }
  | {
      ok: false;
      unknown: string[];
      ambiguous: { typed: string; options: { code: string; name: string; district: string }[] }[];
    };

/** Resolve ward names typed by an official (comma or newline separated); codes are accepted too. */
export async function matchWards(db: DbOrTx, typed: string): Promise<WardMatch> {
  const parts = typed
    .split(/[,;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const all = await db.query.wards.findMany({ columns: { code: true, name: true, district: true, searchName: true } });
  const found = new Map<string, { code: string; name: string }>();
  const unknown: string[] = [];
  const ambiguous: { typed: string; options: { code: string; name: string; district: string }[] }[] = [];
  for (const part of parts) {
    const byCode = all.find((w) => w.code.toLowerCase() === part.toLowerCase());
    if (byCode) {
      found.set(byCode.code, { code: byCode.code, name: byCode.name });
      continue;
    }
    const want = bareWardName(part);
    const hits = all.filter((w) => bareWardName(w.name) === want || bareWardName(w.searchName) === want);
    if (hits.length === 1) found.set(hits[0]!.code, { code: hits[0]!.code, name: hits[0]!.name });
    else if (hits.length === 0) unknown.push(part);
    else
      ambiguous.push({ typed: part, options: hits.map((h) => ({ code: h.code, name: h.name, district: h.district })) });
  }
  if (parts.length === 0) return { ok: false, unknown: [typed], ambiguous: [] };
  if (unknown.length || ambiguous.length) return { ok: false, unknown, ambiguous };
  return { ok: true, wards: [...found.values()] };
}
