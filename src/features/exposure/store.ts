import { and, desc, eq, gt, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client.js';
import {
  accounts,
  auditLog,
  trips,
  casePersons,
  cases,
  contacts,
  exposureWindows,
  persons,
  venues,
  visits,
  type Case,
  type ExposureWindow,
  type Person,
} from '../../db/schema/index.js';
import { MAX_VISIT_MINUTES, type CandidateVisit, type CaseVisit, type Interval } from './matcher.js';

/** A visit found near a window, with what the alert needs about its person and venue. */
export interface CandidateRow extends CandidateVisit {
  venueName: string;
  personName: string;
  isSelf: boolean;
}

/**
 * Every visit overlapping any of `windows` (a visit overlaps [from, to) when entered < to and its end > from;
 * the end is the exit, or entry + the venue's default stay). One statement for all windows: each window drives
 * a range scan of visits_venue_entered_idx bounded on both sides: entered_at < to, and entered_at ≥ from − the
 * longest a visit can last (MAX_VISIT_MINUTES), so the scan never walks the venue's whole history.
 */
export async function candidateVisits(
  db: DbOrTx,
  windows: { venueId: string; from: Date; to: Date }[],
): Promise<CandidateRow[]> {
  if (windows.length === 0) return [];
  const rows = await queryRows<{
    visit_id: string;
    person_id: string;
    account_id: string | null;
    venue_id: string;
    entered_at: string | Date;
    exited_at: string | Date | null;
    default_stay_minutes: number;
    venue_name: string;
    full_name: string;
    is_self: boolean;
    trip_id: string | null;
    seat: string | null;
  }>(db, candidateVisitsQuery(windows));
  const seen = new Set<string>();
  const out: CandidateRow[] = [];
  for (const r of rows) {
    if (seen.has(r.visit_id)) continue; // windows at one venue may overlap
    seen.add(r.visit_id);
    out.push({
      visitId: r.visit_id,
      personId: r.person_id,
      accountId: r.account_id,
      venueId: r.venue_id,
      enteredAt: new Date(r.entered_at),
      exitedAt: r.exited_at === null ? null : new Date(r.exited_at),
      defaultStayMinutes: Number(r.default_stay_minutes),
      venueName: r.venue_name,
      personName: r.full_name,
      isSelf: r.is_self,
      tripId: r.trip_id,
      seat: r.seat,
    });
  }
  return out;
}

/** The matching statement itself (the benchmark EXPLAINs it). `windows` must not be empty. */
export function candidateVisitsQuery(windows: { venueId: string; from: Date; to: Date }[]): SQL {
  // The lower bound is computed here, from the window alone, so it is a plain index condition (a bound that
  // depended on the joined venue row was applied as a filter over the venue's whole history).
  const values = sql.join(
    windows.map(
      (w) =>
        sql`(${w.venueId}::uuid, ${w.from.toISOString()}::timestamptz, ${w.to.toISOString()}::timestamptz, ${new Date(w.from.getTime() - MAX_VISIT_MINUTES * 60_000).toISOString()}::timestamptz)`,
    ),
    sql`, `,
  );
  // LATERAL … OFFSET 0 keeps the planner from flattening the scan and probing by venue alone (it did, and
  // then filtered the venue's whole history: the cost model assumes visits are spread evenly over venues).
  return sql`select v.id as visit_id, v.person_id, coalesce(v.account_id, p.owner_account_id) as account_id, v.venue_id,
          v.entered_at, v.exited_at, ve.default_stay_minutes, ve.name as venue_name, p.full_name, p.is_self,
          v.trip_id, v.seat
        from (values ${values}) as w(venue_id, from_at, to_at, earliest_entry)
        join venues ve on ve.id = w.venue_id
        cross join lateral (
          select * from visits
          where visits.venue_id = w.venue_id and visits.entered_at < w.to_at and visits.entered_at >= w.earliest_entry
          offset 0
        ) v
        join persons p on p.id = v.person_id
        where coalesce(v.exited_at, v.entered_at + ve.default_stay_minutes * interval '1 minute') > w.from_at`;
}

/** The case's own visits that may touch the infectious window (the matcher clips them exactly). */
export async function caseVisits(db: DbOrTx, personIds: string[], infectious: Interval): Promise<CaseVisit[]> {
  if (personIds.length === 0) return [];
  const rows = await db
    .select({
      visitId: visits.id,
      venueId: visits.venueId,
      enteredAt: visits.enteredAt,
      exitedAt: visits.exitedAt,
      defaultStayMinutes: venues.defaultStayMinutes,
      tripId: visits.tripId,
      seat: visits.seat,
      tripDepartsAt: trips.departsAt,
      tripArrivesAt: trips.arrivesAt,
    })
    .from(visits)
    .innerJoin(venues, eq(venues.id, visits.venueId))
    .leftJoin(trips, eq(trips.id, visits.tripId))
    .where(
      and(
        inArray(visits.personId, personIds),
        lt(visits.enteredAt, infectious.to),
        gte(visits.enteredAt, new Date(infectious.from.getTime() - MAX_VISIT_MINUTES * 60_000)),
      ),
    );
  return rows;
}

export async function personsByPhone(db: DbOrTx, phone: string): Promise<Person[]> {
  return db.query.persons.findMany({
    where: eq(persons.phone, phone),
    orderBy: [desc(persons.isSelf), desc(persons.updatedAt)],
  });
}

/**
 * Everyone declared under the accounts that declared the case's persons: the case's household (khai hộ),
 * including the case's own person ids.
 */
export async function householdPersonIds(db: DbOrTx, personIds: string[]): Promise<string[]> {
  if (personIds.length === 0) return [];
  const owners = db.select({ id: persons.ownerAccountId }).from(persons).where(inArray(persons.id, personIds));
  const rows = await db.select({ id: persons.id }).from(persons).where(inArray(persons.ownerAccountId, owners));
  return rows.map((r) => r.id);
}

/**
 * The other persons declared under the accounts that own these persons (their household), with that account:
 * the household notice for close contacts goes there.
 */
export async function householdMembers(
  db: DbOrTx,
  personIds: string[],
): Promise<{ personId: string; accountId: string; fullName: string }[]> {
  if (personIds.length === 0) return [];
  const owners = db.select({ id: persons.ownerAccountId }).from(persons).where(inArray(persons.id, personIds));
  const rows = await db
    .select({ personId: persons.id, accountId: persons.ownerAccountId, fullName: persons.fullName })
    .from(persons)
    .where(inArray(persons.ownerAccountId, owners))
    .orderBy(persons.createdAt);
  const given = new Set(personIds);
  return rows.flatMap((r) => (r.accountId && !given.has(r.personId) ? [{ ...r, accountId: r.accountId }] : []));
}

/** Contacts of a case by window (null: household) and kind. */
export async function contactCountsOfCase(
  db: DbOrTx,
  caseId: string,
): Promise<{ windowId: string | null; kind: string; n: number }[]> {
  return db
    .select({ windowId: contacts.windowId, kind: contacts.kind, n: sql<number>`count(*)::int` })
    .from(contacts)
    .where(eq(contacts.caseId, caseId))
    .groupBy(contacts.windowId, contacts.kind);
}

/** Persons with a typed phone, shown to the official with the channel they declared on. */
export async function possibleMatchRows(
  db: DbOrTx,
  list: Person[],
): Promise<{ personId: string; fullName: string; birthYear: number; channel: string; phoneSource: string | null }[]> {
  if (list.length === 0) return [];
  const channels = new Map(
    (
      await db
        .select({ id: accounts.id, channel: accounts.channel })
        .from(accounts)
        .where(
          inArray(
            accounts.id,
            list.flatMap((p) => (p.ownerAccountId ? [p.ownerAccountId] : [])),
          ),
        )
    ).map((a) => [a.id, a.channel]),
  );
  return list.map((p) => ({
    personId: p.id,
    fullName: p.fullName,
    birthYear: p.birthYear,
    channel: (p.ownerAccountId && channels.get(p.ownerAccountId)) || '',
    phoneSource: p.phoneSource,
  }));
}

/** The open case of these persons (or of this phone when no person is known), if any. */
export async function findOpenCase(
  db: DbOrTx,
  by: { personIds: string[]; phone: string | null },
): Promise<Case | undefined> {
  const who =
    by.personIds.length > 0
      ? or(inArray(cases.personId, by.personIds), inArray(cases.id, casesOfPersons(db, by.personIds)))
      : by.phone
        ? eq(cases.phone, by.phone)
        : undefined;
  if (!who) return undefined;
  return db.query.cases.findFirst({ where: and(who, isNull(cases.closedAt)), orderBy: [desc(cases.createdAt)] });
}

/** Ids of the cases these persons were found as (any of the persons sharing a case's phone). */
function casesOfPersons(db: DbOrTx, personIds: string[]) {
  return db.select({ id: casePersons.caseId }).from(casePersons).where(inArray(casePersons.personId, personIds));
}

export async function caseById(db: DbOrTx, id: string): Promise<Case | undefined> {
  return db.query.cases.findFirst({ where: eq(cases.id, id) });
}

export async function windowsOfCase(db: DbOrTx, caseId: string): Promise<ExposureWindow[]> {
  return db.query.exposureWindows.findMany({ where: eq(exposureWindows.caseId, caseId) });
}

/**
 * People already alerted for the same presence: a contact through one of these visits, or through a window at
 * this venue overlapping [from, to). A manual window that repeats or extends an earlier one alerts only newcomers.
 */
export async function personsAlreadyExposed(
  db: DbOrTx,
  venueId: string,
  span: Interval,
  visitIds: string[],
): Promise<Set<string>> {
  const rows = await db
    .selectDistinct({ personId: contacts.personId })
    .from(contacts)
    .leftJoin(exposureWindows, eq(exposureWindows.id, contacts.windowId))
    .where(
      or(
        visitIds.length > 0 ? inArray(contacts.visitId, visitIds) : sql`false`,
        and(
          eq(exposureWindows.venueId, venueId),
          lt(exposureWindows.fromAt, span.to),
          gt(exposureWindows.toAt, span.from),
        ),
      ),
    );
  return new Set(rows.map((r) => r.personId));
}

/** Of these persons, those who are an open case themselves (they are not told they met a case). */
export async function personsWithOpenCase(db: DbOrTx, personIds: string[]): Promise<string[]> {
  if (personIds.length === 0) return [];
  const rows = await db
    .selectDistinct({ personId: casePersons.personId })
    .from(casePersons)
    .innerJoin(cases, eq(cases.id, casePersons.caseId))
    .where(and(inArray(casePersons.personId, personIds), isNull(cases.closedAt)));
  const direct = await db
    .selectDistinct({ personId: cases.personId })
    .from(cases)
    .where(and(inArray(cases.personId, personIds), isNull(cases.closedAt)));
  return [...new Set([...rows.map((r) => r.personId), ...direct.flatMap((r) => (r.personId ? [r.personId] : []))])];
}

export interface AlertAccount {
  id: string;
  channel: string;
  locale: string;
}

export async function alertAccounts(db: DbOrTx, ids: string[]): Promise<AlertAccount[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: accounts.id, channel: accounts.channel, locale: accounts.locale })
    .from(accounts)
    .where(inArray(accounts.id, ids));
}

export async function audit(
  db: DbOrTx,
  rows: { actor: string; action: string; subjectType: string; subjectId: string; details?: Record<string, unknown> }[],
): Promise<void> {
  if (rows.length > 0) await db.insert(auditLog).values(rows);
}

/** Marks this account's alerts for an exposure (case or manual window) as read. Returns how many changed. */
export async function acknowledge(db: DbOrTx, exposureKey: string, accountId: string, at: Date): Promise<number> {
  const rows = await db
    .update(contacts)
    .set({ acknowledgedAt: at })
    .where(
      and(eq(contacts.exposureKey, exposureKey), eq(contacts.accountId, accountId), isNull(contacts.acknowledgedAt)),
    )
    .returning({ id: contacts.id });
  return rows.length;
}
