import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client.js';
import type { WardScope } from '../officials/scope.js';
import { inScope } from '../officials/scope.js';
import { vnDayStart } from '../stats/stats.js';
import { VENUE_KINDS, type VenueKind } from '../venues/kinds.js';

/** Days covered by the per-day check-ins and the "last 7 days" figures. */
export const COVERAGE_DAYS = 7;

export interface CoverageWard {
  wardCode: string;
  wardName: string;
  districtCode: string | null;
  districtName: string;
  /** open venues registered in the ward, in total and per kind (every kind listed, zeros included) */
  venues: { total: number; byKind: Record<VenueKind, number> };
  /** venues of the ward with at least one check-in in the last 7 × 24 hours */
  activeVenues7d: number;
  /** residents (persons whose ward is this ward) with a declaration in the last 24 hours / 7 × 24 hours */
  residentsDeclared24h: number;
  residentsDeclared7d: number;
  /** check-ins at the ward's venues per Vietnam calendar day, oldest first, today last (so far) */
  checkinsDaily: { date: string; checkins: number }[];
  /**
   * The ward's target list (venues that must register, imported by officials): how many, how many of them are
   * registered (claimed by their owner, or registered before the list came), the percentage (null without a
   * list), and the ones still missing with the claim code to hand their owner.
   */
  targets: { required: number; registered: number; coveragePercent: number | null; missing: MissingVenue[] };
}

export interface MissingVenue {
  id: string;
  name: string;
  kind: string;
  address: string | null;
  wardCode: string;
  claimCode: string;
}

export interface CoverageReport {
  generatedAt: string;
  districtCode: string | null;
  /** the Vietnam calendar days of checkinsDaily, oldest first */
  days: string[];
  wards: CoverageWard[];
}

/** "YYYY-MM-DD" of the Vietnam calendar day starting at `dayStart`. */
const vnDate = (dayStart: Date) => new Date(dayStart.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);

const emptyByKind = (): Record<VenueKind, number> =>
  Object.fromEntries(VENUE_KINDS.map((k) => [k.id, 0])) as Record<VenueKind, number>;

/**
 * Deployment progress per ward (directive §11): venues registered, venues in use, residents declaring, check-ins
 * per day. Wards are those of `districtCode` (every ward when absent) within `scope`, by district then ward code.
 */
export async function computeCoverage(
  db: DbOrTx,
  a: { now: Date; scope: WardScope; districtCode?: string },
): Promise<CoverageReport> {
  const now = a.now.toISOString();
  const since24h = new Date(a.now.getTime() - 86_400_000).toISOString();
  const since7d = new Date(a.now.getTime() - COVERAGE_DAYS * 86_400_000).toISOString();
  const firstDay = vnDayStart(a.now, COVERAGE_DAYS - 1);
  const days = Array.from({ length: COVERAGE_DAYS }, (_, i) => vnDate(new Date(firstDay.getTime() + i * 86_400_000)));
  const n = (v: unknown) => Number(v ?? 0);

  const wardRows = await queryRows<{ code: string; name: string; district_code: string | null; district: string }>(
    db,
    sql`select w.code, w.name, w.district_code, coalesce(d.name, w.district) as district
        from wards w left join districts d on d.code = w.district_code
        where ${a.districtCode ?? null}::text is null or w.district_code = ${a.districtCode ?? null}::text
        order by w.district_code nulls last, w.code`,
  );
  const listed = wardRows.filter((w) => inScope(a.scope, w.code));
  if (listed.length === 0) return { generatedAt: now, districtCode: a.districtCode ?? null, days, wards: [] };

  const venueRows = await queryRows<{ ward_code: string; kind: string; n: string }>(
    db,
    sql`select ward_code, kind, count(*) as n from venues
        where ward_code is not null and closed_at is null and created_at <= ${now}::timestamptz
          and (required_at is null or claimed_at is not null)
        group by ward_code, kind`,
  );
  const targetRows = await queryRows<{ ward_code: string; required: string; registered: string }>(
    db,
    sql`select ward_code, count(*) as required, count(*) filter (where claimed_at is not null) as registered
        from venues where required_at is not null and ward_code is not null and closed_at is null
        group by ward_code`,
  );
  const missing = await missingVenues(db, { scope: a.scope, districtCode: a.districtCode });
  const activeRows = await queryRows<{ ward_code: string; n: string }>(
    db,
    sql`select v.ward_code, count(distinct v.id) as n
        from visits vi join venues v on v.id = vi.venue_id
        where v.ward_code is not null and vi.entered_at >= ${since7d}::timestamptz and vi.entered_at <= ${now}::timestamptz
        group by v.ward_code`,
  );
  const residentRows = await queryRows<{ ward_code: string; d24: string; d7: string }>(
    db,
    sql`select p.ward_code,
               count(distinct p.id) filter (where d.declared_at >= ${since24h}::timestamptz) as d24,
               count(distinct p.id) as d7
        from declarations d join persons p on p.id = d.person_id
        where p.ward_code is not null and d.declared_at >= ${since7d}::timestamptz and d.declared_at <= ${now}::timestamptz
        group by p.ward_code`,
  );
  const dailyRows = await queryRows<{ ward_code: string; day: string; n: string }>(
    db,
    sql`select v.ward_code, to_char(((vi.entered_at at time zone 'UTC') + interval '7 hours')::date, 'YYYY-MM-DD') as day,
               count(*) as n
        from visits vi join venues v on v.id = vi.venue_id
        where v.ward_code is not null and vi.entered_at >= ${firstDay.toISOString()}::timestamptz
          and vi.entered_at <= ${now}::timestamptz
        group by 1, 2`,
  );

  const wards = listed.map<CoverageWard>((w) => {
    const byKind = emptyByKind();
    let total = 0;
    for (const r of venueRows) {
      if (r.ward_code !== w.code) continue;
      total += n(r.n);
      if (r.kind in byKind) byKind[r.kind as VenueKind] += n(r.n);
    }
    const res = residentRows.find((r) => r.ward_code === w.code);
    const target = targetRows.find((r) => r.ward_code === w.code);
    const required = n(target?.required);
    const registered = n(target?.registered);
    return {
      wardCode: w.code,
      wardName: w.name,
      districtCode: w.district_code,
      districtName: w.district,
      venues: { total, byKind },
      activeVenues7d: n(activeRows.find((r) => r.ward_code === w.code)?.n),
      residentsDeclared24h: n(res?.d24),
      residentsDeclared7d: n(res?.d7),
      checkinsDaily: days.map((date) => ({
        date,
        checkins: n(dailyRows.find((r) => r.ward_code === w.code && r.day === date)?.n),
      })),
      targets: {
        required,
        registered,
        coveragePercent: coveragePercent(registered, required),
        missing: missing.filter((m) => m.wardCode === w.code),
      },
    };
  });
  return { generatedAt: now, districtCode: a.districtCode ?? null, days, wards };
}

/** registered / required in percent with one decimal; null when the ward has no target list. */
export const coveragePercent = (registered: number, required: number): number | null =>
  required > 0 ? Math.round((1000 * registered) / required) / 10 : null;

/**
 * Required venues not yet registered (imported from a target list and not claimed), in `scope`, of one ward or
 * district when given, by ward then name.
 */
export async function missingVenues(
  db: DbOrTx,
  a: { scope: WardScope; districtCode?: string; wardCode?: string },
): Promise<MissingVenue[]> {
  const rows = await queryRows<{
    id: string;
    name: string;
    kind: string;
    address: string | null;
    ward_code: string;
    claim_code: string;
  }>(
    db,
    sql`select v.id, v.name, v.kind, v.address, v.ward_code, v.claim_code
        from venues v join wards w on w.code = v.ward_code
        where v.required_at is not null and v.claimed_at is null and v.closed_at is null and v.claim_code is not null
          and (${a.districtCode ?? null}::text is null or w.district_code = ${a.districtCode ?? null}::text)
          and (${a.wardCode ?? null}::text is null or v.ward_code = ${a.wardCode ?? null}::text)
        order by v.ward_code, v.name, v.id`,
  );
  return rows
    .filter((r) => inScope(a.scope, r.ward_code))
    .map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      address: r.address,
      wardCode: r.ward_code,
      claimCode: r.claim_code,
    }));
}
