import { and, desc, eq, gte, inArray, is, isNull, sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { queryRows, type DbOrTx } from '../../db/client.js';
import { columnsOf, param, prepared, rowOf } from '../../db/prepared.js';
import { persons, trips, venues, visits, type Trip, type Visit } from '../../db/schema/index.js';
import { selfOfAccount } from '../people/store.js';
import { currentTrip } from '../transport/store.js';
import { isTransportKind } from '../venues/kinds.js';
import { AUTO_CHECKOUT_BATCH, SAME_VENUE_WINDOW_MINUTES, type CheckinSource } from './rules.js';

export interface CheckinInput {
  venueId: string;
  personIds: string[];
  /** the account to reach about these visits (the persons' owner; null for a person without one) */
  accountId: string | null;
  source: CheckinSource;
  channel: string;
  now: Date;
  /** staff scans: who recorded it */
  recordedByAccountId?: string;
  /** vehicles: a trip departing within this many minutes can be boarded (TRIP_BOARDING_MINUTES; default 60) */
  boardingMinutes?: number;
  /** the venue's kind when the caller has the venue at hand (read here otherwise) */
  venueKind?: string;
  /**
   * Persons the caller locked in this transaction already (`lockSelfForCheckin`), and what it read for them (at
   * the same `now`): used instead of locking and reading again.
   */
  locked?: ReadonlyMap<string, Visit[]>;
}

/** TRIP_BOARDING_MINUTES when the caller does not pass its config. */
export const DEFAULT_BOARDING_MINUTES = 60;

export interface CheckinOutcome {
  personId: string;
  visit: Visit;
  /** 'created' = a new visit; 'already' = inside already, or back within the 30-minute window (no duplicate) */
  status: 'created' | 'already';
  /** the venue whose open visit this check-in closed (moved on) */
  movedOnFromVenueId?: string;
  /** vehicles: the trip boarded (the visit's trip_id) */
  trip?: Trip;
}

/**
 * Records that persons entered a venue, applying the rules in one place for chat and staff scans:
 * - inside this venue already (open visit), or entered it less than 30 minutes ago → no new visit
 *   (a visit closed within those 30 minutes is reopened: they stepped out and came back — unless they checked
 *   in somewhere else in between, or ended it themselves with «Rời khỏi», which makes the return a new visit);
 * - inside another venue → that visit ends now with exit_reason 'moved_on';
 * - otherwise a new visit starts now.
 * Each person is locked (advisory, in id order) so a staff scan and the person's own check-in cannot both
 * open a visit: a person is inside at most one venue at a time. Every path that writes visits comes here.
 *
 * A vehicle (transport kind) puts the visit on its current trip (under way, or departing within the boarding
 * window): being on another trip of the same vehicle is not "inside already" — the earlier visit ends and a new
 * one starts on this trip. No current trip: a plain visit of the vehicle, as for any venue.
 */
export async function recordCheckins(db: DbOrTx, input: CheckinInput): Promise<CheckinOutcome[]> {
  const ids = [...new Set(input.personIds)].sort();
  // Inside the caller's transaction (a chat update, a staff scan) its atomicity is enough: no savepoint.
  const inTransaction = async (tx: DbOrTx) => {
    const kind =
      input.venueKind ??
      (await tx.query.venues.findFirst({ where: eq(venues.id, input.venueId), columns: { kind: true } }))?.kind;
    const trip =
      kind && isTransportKind(kind)
        ? await currentTrip(tx, input.venueId, input.now, input.boardingMinutes ?? DEFAULT_BOARDING_MINUTES)
        : undefined;
    const out: CheckinOutcome[] = [];
    for (const personId of ids) {
      out.push({ ...(await checkInOne(tx, personId, input, trip?.id ?? null)), ...(trip ? { trip } : {}) });
    }
    return out;
  };
  return is(db, PgTransaction) ? inTransaction(db) : db.transaction(inTransaction);
}

/** The open visit of `person` at `venue` (ids, or subqueries). */
const openVisitOf = (person: SQL, venue: SQL) =>
  sql`select ${columnsOf(visits)} from ${visits}
      where ${visits.personId} = ${person} and ${visits.venueId} = ${venue} and ${visits.exitedAt} is null
      limit 1`;

const openVisitQuery = prepared<{ personId: string; venueId: string }, Visit>(
  'visit_open_at_venue',
  () => openVisitOf(sql`${param('personId')}::uuid`, sql`${param('venueId')}::uuid`),
  rowOf(visits),
);

/** The account's own person (people/store.ts `selfOfAccount`), as a value in a statement with `accountId`. */
const selfOf = () => sql`(${selfOfAccount(sql`${param('accountId')}::uuid`)})`;

const openVisitOfSelfQuery = prepared<{ accountId: string; code: string }, Visit>(
  'visit_open_of_self_at_code',
  () => openVisitOf(selfOf(), sql`(select ${venues.id} from ${venues} where ${venues.code} = ${param('code')}::text)`),
  rowOf(visits),
);

/**
 * The open visit of an account's own person at the venue with this code, read before that person's id is known
 * (a poster's link reads it with the account's persons, in one round trip).
 */
export async function openVisitOfSelfAt(db: DbOrTx, accountId: string, code: string): Promise<Visit | undefined> {
  return openVisitOfSelfQuery.first(db, { accountId, code });
}

/** A person's open visit at a venue (inside it now), if any. */
export async function openVisitAt(db: DbOrTx, personId: string, venueId: string): Promise<Visit | undefined> {
  return openVisitQuery.first(db, { personId, venueId });
}

/**
 * What a check-in decides on, in one statement: the person's open visits and every visit they began since the
 * window start, newest first (a visit begun after one in the window is in the window too).
 */
const visitsToDecideOnOf = (person: SQL) =>
  sql`select ${columnsOf(visits)} from ${visits}
      where ${visits.personId} = ${person} and ${visits.enteredAt} >= ${param('windowStart')}::timestamptz
      union
      select ${columnsOf(visits)} from ${visits}
      where ${visits.personId} = ${person} and ${visits.exitedAt} is null
      order by entered_at desc`;

const visitsToDecideOn = prepared<{ personId: string; windowStart: string }, Visit>(
  'visits_to_decide_on',
  () => visitsToDecideOnOf(sql`${param('personId')}::uuid`),
  rowOf(visits),
);

const selfVisitsToDecideOn = prepared<{ accountId: string; windowStart: string }, Visit>(
  'visits_to_decide_on_of_self',
  () => visitsToDecideOnOf(selfOf()),
  rowOf(visits),
);

/** The advisory lock of a person's check-ins: this prefix and the person's id. */
const PERSON_LOCK = 'person:';

const lockPerson = prepared<{ key: string }, unknown[]>(
  'checkin_lock_person',
  () => sql`select pg_advisory_xact_lock(hashtext(${param('key')}::text))`,
  (row) => row,
);

/** `lockPerson` for an account's own person, by the same key; its id, or no row when the account has none. */
const lockSelf = prepared<{ accountId: string }, string>(
  'checkin_lock_self',
  () => sql`select self.id, pg_advisory_xact_lock(hashtext(${sql.raw(`'${PERSON_LOCK}'`)} || self.id::text))
            from ${selfOf()} self`,
  (row) => row[0] as string,
);

const insertVisit = prepared<
  {
    personId: string;
    venueId: string;
    accountId: string | null;
    enteredAt: string;
    source: string;
    channel: string;
    recordedByAccountId: string | null;
    tripId: string | null;
  },
  Visit
>(
  'visit_insert',
  () => sql`insert into ${visits} (person_id, venue_id, account_id, entered_at, source, channel, recorded_by_account_id, trip_id)
            values (${param('personId')}::uuid, ${param('venueId')}::uuid, ${param('accountId')}::uuid,
                    ${param('enteredAt')}::timestamptz, ${param('source')}::text, ${param('channel')}::text,
                    ${param('recordedByAccountId')}::uuid, ${param('tripId')}::uuid)
            returning ${columnsOf(visits)}`,
  rowOf(visits),
);

const sameVenueWindowStart = (now: Date) => new Date(now.getTime() - SAME_VENUE_WINDOW_MINUTES * 60_000);

/**
 * Locks a person for a check-in in the caller's transaction and reads what it decides on (recordCheckins). Each
 * person is locked so a staff scan and their own check-in cannot both open a visit; the read goes with the lock (one
 * round trip) and runs once it is held. A caller that locks before recordCheckins (to send the lock with reads of its
 * own: `lockSelfForCheckin`) passes the result as `locked`, and locks one person only: recordCheckins locks several
 * in id order.
 */
async function lockForCheckin(tx: DbOrTx, personId: string, now: Date): Promise<Visit[]> {
  const [, rows] = await Promise.all([
    lockPerson.all(tx, { key: `${PERSON_LOCK}${personId}` }),
    visitsToDecideOn.all(tx, { personId, windowStart: sameVenueWindowStart(now).toISOString() }),
  ]);
  return rows;
}

/** What `lockSelfForCheckin` read: the account's own person and their visits, as `lockForCheckin` reads them. */
export interface SelfLocked {
  personId: string;
  visits: Visit[];
}

/**
 * `lockForCheckin` for an account's own person, before its id is known (a confirm press sends it with the reads
 * of the venue and the account's persons): the person's id and visits, or undefined when the account has none.
 * The caller uses it only for the person `accountPersons` gave it as `self` (the same one, unless it changed in
 * between), else locks by id.
 */
export async function lockSelfForCheckin(tx: DbOrTx, accountId: string, now: Date): Promise<SelfLocked | undefined> {
  const [ids, rows] = await Promise.all([
    lockSelf.all(tx, { accountId }),
    selfVisitsToDecideOn.all(tx, { accountId, windowStart: sameVenueWindowStart(now).toISOString() }),
  ]);
  return ids[0] === undefined ? undefined : { personId: ids[0], visits: rows };
}

async function checkInOne(
  tx: DbOrTx,
  personId: string,
  input: CheckinInput,
  tripId: string | null,
): Promise<CheckinOutcome> {
  const { now, venueId } = input;
  const windowStart = sameVenueWindowStart(now);
  const rows = input.locked?.get(personId) ?? (await lockForCheckin(tx, personId, now));
  const open = rows.find((v) => v.exitedAt === null);
  if (open && open.venueId === venueId && open.tripId === tripId) return { personId, visit: open, status: 'already' };

  const recentAt = rows.findIndex((v) => v.venueId === venueId && v.enteredAt.getTime() >= windowStart.getTime());
  let recent = recentAt >= 0 ? rows[recentAt] : undefined;
  // Back from another venue: reopening would place the person in two venues at once (an exposure found at
  // either would then blame the wrong span), so the return is a new visit.
  // They said they left: the exit stays in the history and coming back is a new visit.
  if (recent?.exitReason === 'left') recent = undefined;
  // Another trip of the same vehicle is another journey.
  if (recent && recent.tripId !== tripId) recent = undefined;
  if (recent && (open || rows.some((v) => v.enteredAt.getTime() > recent!.enteredAt.getTime()))) recent = undefined;

  let movedOnFromVenueId: string | undefined;
  if (open) {
    // Never end a visit before it began (clock skew between instances).
    const exitedAt = open.enteredAt.getTime() > now.getTime() ? open.enteredAt : now;
    await tx
      .update(visits)
      .set({ exitedAt, exitReason: 'moved_on' })
      .where(and(eq(visits.id, open.id), isNull(visits.exitedAt)));
    movedOnFromVenueId = open.venueId;
  }
  if (recent) {
    const [reopened] = await tx
      .update(visits)
      .set({ exitedAt: null, exitReason: null })
      .where(eq(visits.id, recent.id))
      .returning();
    return { personId, visit: reopened!, status: 'already', movedOnFromVenueId };
  }
  const created = await insertVisit.first(tx, {
    personId,
    venueId,
    accountId: input.accountId,
    enteredAt: now.toISOString(),
    source: input.source,
    channel: input.channel,
    recordedByAccountId: input.recordedByAccountId ?? null,
    tripId,
  });
  return { personId, visit: created!, status: 'created', movedOnFromVenueId };
}

/** Ends the open visits of these persons at a venue ('left'). Returns how many were open. */
export async function leaveVenue(db: DbOrTx, personIds: string[], venueId: string, now: Date): Promise<number> {
  if (personIds.length === 0) return 0;
  const rows = await db
    .update(visits)
    .set({ exitedAt: sql`greatest(${visits.enteredAt}, ${now.toISOString()}::timestamptz)`, exitReason: 'left' })
    .where(and(inArray(visits.personId, personIds), eq(visits.venueId, venueId), isNull(visits.exitedAt)))
    .returning({ id: visits.id });
  return rows.length;
}

/**
 * Ends visits open longer than their venue's default stay, as if the person left when the stay ran out
 * (exit_reason 'auto'). Safe with several instances: rows are claimed with SKIP LOCKED, and the update
 * re-checks exited_at, so a visit is closed once. Returns how many it closed.
 */
export async function closeOverstayedVisits(db: DbOrTx, now: Date, batch = AUTO_CHECKOUT_BATCH): Promise<number> {
  // Passengers leave a vehicle when its trip arrives.
  const onTrips = await queryRows<{ id: string }>(
    db,
    sql`with due as (
          select v.id from ${visits} v join ${trips} t on t.id = v.trip_id
          where v.exited_at is null and t.arrives_at <= ${now.toISOString()}::timestamptz
          order by v.entered_at
          limit ${batch}
          for update of v skip locked
        )
        update ${visits} v set exited_at = greatest(v.entered_at, t.arrives_at), exit_reason = 'auto'
        from due, ${trips} t
        where v.id = due.id and t.id = v.trip_id and v.exited_at is null
        returning v.id`,
  );
  const rows = await queryRows<{ id: string }>(
    db,
    sql`with due as (
          select v.id from ${visits} v join ${venues} ve on ve.id = v.venue_id
          where v.exited_at is null and v.trip_id is null
            and v.entered_at + make_interval(mins => ve.default_stay_minutes) <= ${now.toISOString()}::timestamptz
          order by v.entered_at
          limit ${batch}
          for update of v skip locked
        )
        update ${visits} v set exited_at = v.entered_at + make_interval(mins => ve.default_stay_minutes), exit_reason = 'auto'
        from due, ${venues} ve
        where v.id = due.id and ve.id = v.venue_id and v.exited_at is null
        returning v.id`,
  );
  return onTrips.length + rows.length;
}

export interface HistoryRow {
  personId: string;
  personName: string;
  isSelf: boolean;
  venueId: string;
  venueName: string;
  enteredAt: Date;
  exitedAt: Date | null;
  exitReason: string | null;
}

/** Visits of every person an account holds (self and family), newest first, since `since`. */
export async function historyOfAccount(db: DbOrTx, accountId: string, since: Date, limit = 40): Promise<HistoryRow[]> {
  return db
    .select({
      personId: persons.id,
      personName: persons.fullName,
      isSelf: persons.isSelf,
      venueId: venues.id,
      venueName: venues.name,
      enteredAt: visits.enteredAt,
      exitedAt: visits.exitedAt,
      exitReason: visits.exitReason,
    })
    .from(visits)
    .innerJoin(persons, eq(persons.id, visits.personId))
    .innerJoin(venues, eq(venues.id, visits.venueId))
    .where(and(eq(persons.ownerAccountId, accountId), gte(visits.enteredAt, since)))
    .orderBy(desc(visits.enteredAt))
    .limit(limit);
}

/** Persons (self first, then family) held by an account: their ids. */
export async function personIdsOfAccount(db: DbOrTx, accountId: string): Promise<string[]> {
  const rows = await db.select({ id: persons.id }).from(persons).where(eq(persons.ownerAccountId, accountId));
  return rows.map((r) => r.id);
}
