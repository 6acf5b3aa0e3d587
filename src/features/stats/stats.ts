import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client.js';

/** Vietnam has no daylight saving: a day there starts at 17:00 UTC the day before. */
const VN_OFFSET_MS = 7 * 3_600_000;

/** Midnight in Asia/Ho_Chi_Minh of the day `at` falls in, `daysBack` days earlier. */
export function vnDayStart(at: Date, daysBack = 0): Date {
  const local = at.getTime() + VN_OFFSET_MS;
  return new Date(local - (local % 86_400_000) - VN_OFFSET_MS - daysBack * 86_400_000);
}

export interface Stats {
  from: string;
  to: string;
  declarations: number;
  symptomatic: number;
  symptomaticByWard: { wardCode: string | null; wardName: string | null; count: number }[];
  checkins: number;
  venues: { total: number; active: number; new: number };
  alerts: { sent: number; acknowledged: number };
  /** per Vietnam calendar day, oldest first (at most 62 days) */
  daily: { date: string; declarations: number; symptomatic: number; checkins: number }[];
}

/** Days longer than this are not broken down day by day (the chart has no room for them). */
const MAX_DAILY = 62;

/**
 * Figures for officials over [from, to): declarations (and those with symptoms, by the declaring person's ward),
 * check-ins, venues (open in the period, with a check-in, newly registered), exposure alerts sent and acknowledged.
 */
export async function computeStats(db: DbOrTx, from: Date, to: Date): Promise<Stats> {
  const f = from.toISOString();
  const t = to.toISOString();
  const n = (v: unknown) => Number(v ?? 0);
  const [decl] = await queryRows<{ total: string; symptomatic: string }>(
    db,
    sql`select count(*) as total, count(*) filter (where cardinality(symptoms) > 0) as symptomatic
        from declarations where declared_at >= ${f}::timestamptz and declared_at < ${t}::timestamptz`,
  );
  const byWard = await queryRows<{ ward_code: string | null; ward_name: string | null; n: string }>(
    db,
    sql`select p.ward_code, w.name as ward_name, count(*) as n
        from declarations d join persons p on p.id = d.person_id left join wards w on w.code = p.ward_code
        where d.declared_at >= ${f}::timestamptz and d.declared_at < ${t}::timestamptz and cardinality(d.symptoms) > 0
        group by p.ward_code, w.name order by n desc, w.name`,
  );
  const [visits] = await queryRows<{ checkins: string; active: string }>(
    db,
    sql`select count(*) as checkins, count(distinct venue_id) as active
        from visits where entered_at >= ${f}::timestamptz and entered_at < ${t}::timestamptz`,
  );
  const [venues] = await queryRows<{ total: string; created: string }>(
    db,
    sql`select count(*) filter (where closed_at is null or closed_at >= ${f}::timestamptz) as total,
               count(*) filter (where created_at >= ${f}::timestamptz) as created
        from venues where created_at < ${t}::timestamptz`,
  );
  const [alerts] = await queryRows<{ sent: string; acknowledged: string }>(
    db,
    sql`select count(*) as sent, count(acknowledged_at) as acknowledged
        from contacts where alerted_at >= ${f}::timestamptz and alerted_at < ${t}::timestamptz`,
  );
  let daily: Stats['daily'] = [];
  const days = Math.ceil((to.getTime() - vnDayStart(from).getTime()) / 86_400_000);
  if (days > 0 && days <= MAX_DAILY) {
    const rows = await queryRows<{ day: string; declarations: string; symptomatic: string; checkins: string }>(
      db,
      sql`with days as (
            select ((${f}::timestamptz at time zone 'UTC') + interval '7 hours')::date + g as day
            from generate_series(0, ${days - 1}) g
          ), d as (
            select ((declared_at at time zone 'UTC') + interval '7 hours')::date as day, count(*) as n,
                   count(*) filter (where cardinality(symptoms) > 0) as s
            from declarations where declared_at >= ${f}::timestamptz and declared_at < ${t}::timestamptz group by 1
          ), v as (
            select ((entered_at at time zone 'UTC') + interval '7 hours')::date as day, count(*) as n
            from visits where entered_at >= ${f}::timestamptz and entered_at < ${t}::timestamptz group by 1
          )
          select to_char(days.day, 'YYYY-MM-DD') as day, coalesce(d.n, 0) as declarations, coalesce(d.s, 0) as symptomatic,
                 coalesce(v.n, 0) as checkins
          from days left join d on d.day = days.day left join v on v.day = days.day order by days.day`,
    );
    daily = rows.map((r) => ({
      date: r.day,
      declarations: n(r.declarations),
      symptomatic: n(r.symptomatic),
      checkins: n(r.checkins),
    }));
  }
  return {
    from: f,
    to: t,
    declarations: n(decl?.total),
    symptomatic: n(decl?.symptomatic),
    symptomaticByWard: byWard.map((r) => ({ wardCode: r.ward_code, wardName: r.ward_name, count: n(r.n) })),
    checkins: n(visits?.checkins),
    venues: { total: n(venues?.total), active: n(visits?.active), new: n(venues?.created) },
    alerts: { sent: n(alerts?.sent), acknowledged: n(alerts?.acknowledged) },
    daily,
  };
}
