import { and, asc, eq, gt, gte, lt, lte, sql } from 'drizzle-orm';
import type { Config } from '../../config.js';
import { AppError, badRequest, notFound } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import {
  persons,
  trips,
  tripTimetables,
  venues,
  visits,
  type Trip,
  type TripTimetable,
} from '../../db/schema/index.js';
import { isTransportKind } from '../venues/kinds.js';

/** The transport settings in force (config.transport, else the documented defaults). */
export function transportSettings(config: Pick<Config, 'transport'>) {
  return config.transport ?? { closeSeatRows: 2, boardingMinutes: 60, timetableDays: 14 };
}

/** The longest trip accepted (a train across the country, a long ferry run). */
export const MAX_TRIP_HOURS = 48;
export const MAX_LABEL_LENGTH = 80;
/** How often the timetable job extends the trips ahead. */
export const TIMETABLE_JOB_INTERVAL_MS = 60 * 60_000;
/** Vietnam has no daylight saving: local times are UTC + 7 h all year. */
const VN_OFFSET_MS = 7 * 3_600_000;

export async function requireVehicle(db: DbOrTx, venueId: string) {
  const venue = await db.query.venues.findFirst({ where: eq(venues.id, venueId) });
  if (!venue) throw notFound('VENUE_NOT_FOUND', 'No venue with this id.');
  if (!isTransportKind(venue.kind)) {
    throw new AppError(
      'NOT_A_VEHICLE',
      'Trips belong to vehicles: a venue of kind bus, coach, ferry, flight or train.',
      409,
    );
  }
  return venue;
}

export interface NewTrip {
  departsAt: Date;
  arrivesAt: Date;
  label?: string | null;
}

function checkTrip(t: NewTrip): void {
  if (Number.isNaN(t.departsAt.getTime()) || Number.isNaN(t.arrivesAt.getTime()))
    throw badRequest('TRIP_TIME_INVALID', 'departsAt and arrivesAt must be ISO 8601 times.');
  if (t.arrivesAt.getTime() <= t.departsAt.getTime())
    throw badRequest('TRIP_ARRIVES_BEFORE_DEPARTURE', 'arrivesAt must be after departsAt.');
  if (t.arrivesAt.getTime() - t.departsAt.getTime() > MAX_TRIP_HOURS * 3_600_000)
    throw badRequest('TRIP_TOO_LONG', `a trip may last at most ${MAX_TRIP_HOURS} hours.`);
  if ((t.label ?? '').length > MAX_LABEL_LENGTH)
    throw badRequest('TRIP_LABEL_TOO_LONG', `label is longer than ${MAX_LABEL_LENGTH} characters.`);
}

/** Adds one trip of a vehicle; a second trip with the same departure is refused (409 TRIP_EXISTS). */
export async function createTrip(db: DbOrTx, venueId: string, t: NewTrip): Promise<Trip> {
  await requireVehicle(db, venueId);
  checkTrip(t);
  const [row] = await db
    .insert(trips)
    .values({ venueId, departsAt: t.departsAt, arrivesAt: t.arrivesAt, label: t.label?.trim() || null })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new AppError('TRIP_EXISTS', 'The vehicle already has a trip with this departure.', 409);
  return row;
}

export async function tripById(db: DbOrTx, id: string): Promise<Trip | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.query.trips.findFirst({ where: eq(trips.id, id) });
}

/** Trips of a vehicle departing in [from, to), by departure. */
export async function tripsOfVehicle(db: DbOrTx, venueId: string, from: Date, to: Date, limit = 500): Promise<Trip[]> {
  return db.query.trips.findMany({
    where: and(eq(trips.venueId, venueId), gte(trips.departsAt, from), lt(trips.departsAt, to)),
    orderBy: [asc(trips.departsAt)],
    limit,
  });
}

/**
 * The trip a passenger scanning the vehicle's poster at `now` boards: one under way (departed, not arrived),
 * else the next one departing within `boardingMinutes`. None: the check-in is a plain visit of the vehicle.
 */
export async function currentTrip(
  db: DbOrTx,
  venueId: string,
  now: Date,
  boardingMinutes: number,
): Promise<Trip | undefined> {
  const latestDeparture = new Date(now.getTime() + boardingMinutes * 60_000);
  const iso = now.toISOString();
  const [row] = await db
    .select()
    .from(trips)
    .where(and(eq(trips.venueId, venueId), lte(trips.departsAt, latestDeparture), gt(trips.arrivesAt, now)))
    .orderBy(
      sql`(${trips.departsAt} > ${iso}::timestamptz)`,
      sql`abs(extract(epoch from ${trips.departsAt} - ${iso}::timestamptz))`,
    )
    .limit(1);
  return row;
}

export interface TimetableEntry {
  /** ISO weekday: 1 = Monday … 7 = Sunday */
  weekday: number;
  /** departure «HH:MM», Vietnam time */
  departs: string;
  durationMinutes: number;
  label?: string | null;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Stores a vehicle's weekly timetable lines (a line already there keeps its id; its duration and label change). */
export async function saveTimetable(db: DbOrTx, venueId: string, entries: TimetableEntry[]): Promise<TripTimetable[]> {
  await requireVehicle(db, venueId);
  const out: TripTimetable[] = [];
  entries.forEach((e, i) => {
    if (!Number.isInteger(e.weekday) || e.weekday < 1 || e.weekday > 7)
      throw badRequest('TIMETABLE_WEEKDAY_INVALID', `entries[${i}].weekday must be 1 (Monday) to 7 (Sunday).`);
    if (!HHMM.test(e.departs))
      throw badRequest('TIMETABLE_TIME_INVALID', `entries[${i}].departs must be HH:MM (24 h, Vietnam time).`);
    if (!Number.isInteger(e.durationMinutes) || e.durationMinutes < 1 || e.durationMinutes > MAX_TRIP_HOURS * 60)
      throw badRequest(
        'TIMETABLE_DURATION_INVALID',
        `entries[${i}].durationMinutes must be 1 to ${MAX_TRIP_HOURS * 60}.`,
      );
  });
  for (const e of entries) {
    const [row] = await db
      .insert(tripTimetables)
      .values({
        venueId,
        weekday: e.weekday,
        departs: e.departs,
        durationMinutes: e.durationMinutes,
        label: e.label?.trim() || null,
      })
      .onConflictDoUpdate({
        target: [tripTimetables.venueId, tripTimetables.weekday, tripTimetables.departs],
        set: { durationMinutes: e.durationMinutes, label: e.label?.trim() || null },
      })
      .returning();
    out.push(row!);
  }
  return out;
}

/** The departures of a weekly line on the days [today, today + days) in Vietnam time. */
export function departuresOf(line: Pick<TripTimetable, 'weekday' | 'departs'>, now: Date, days: number): Date[] {
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const [hh, mm] = line.departs.split(':').map(Number) as [number, number];
  const out: Date[] = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + d));
    const isoWeekday = ((day.getUTCDay() + 6) % 7) + 1;
    if (isoWeekday !== line.weekday) continue;
    out.push(new Date(day.getTime() + (hh * 60 + mm) * 60_000 - VN_OFFSET_MS));
  }
  return out;
}

/**
 * The timetable job: every timetable line gets its trips for the next `days` days (Vietnam calendar) that have
 * not arrived yet. A trip already there (same vehicle and departure, also one added by hand) is left alone, so
 * the job can run any number of times, on several instances at once. Returns how many trips it created.
 */
export async function createTimetableTrips(db: DbOrTx, now: Date, days: number, venueId?: string): Promise<number> {
  const lines = await db.query.tripTimetables.findMany({
    where: venueId ? eq(tripTimetables.venueId, venueId) : undefined,
  });
  const rows = lines.flatMap((l) =>
    departuresOf(l, now, days)
      .map((departsAt) => ({
        venueId: l.venueId,
        departsAt,
        arrivesAt: new Date(departsAt.getTime() + l.durationMinutes * 60_000),
        label: l.label,
        timetableId: l.id,
      }))
      .filter((t) => t.arrivesAt.getTime() > now.getTime()),
  );
  let created = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const inserted = await db
      .insert(trips)
      .values(rows.slice(i, i + 500))
      .onConflictDoNothing()
      .returning({ id: trips.id });
    created += inserted.length;
  }
  return created;
}

export interface PassengerRow {
  visitId: string;
  personId: string;
  fullName: string;
  birthYear: number;
  phone: string | null;
  seat: string | null;
  boardedAt: Date;
}

/** Everyone checked into a trip, by boarding time. */
export async function passengersOf(db: DbOrTx, tripId: string, limit = 10_000): Promise<PassengerRow[]> {
  return db
    .select({
      visitId: visits.id,
      personId: visits.personId,
      fullName: persons.fullName,
      birthYear: persons.birthYear,
      phone: persons.phone,
      seat: visits.seat,
      boardedAt: visits.enteredAt,
    })
    .from(visits)
    .innerJoin(persons, eq(persons.id, visits.personId))
    .where(eq(visits.tripId, tripId))
    .orderBy(asc(visits.enteredAt), asc(visits.id))
    .limit(limit);
}

export const MAX_SEAT_LENGTH = 8;

/** «12c», « 12 C » → «12C»; undefined when it does not look like a seat (letters and digits, ≤ 8). */
export function normalizeSeat(text: string): string | undefined {
  const s = text.replace(/\s+/g, '').toUpperCase();
  return /^[0-9A-Z-]{1,8}$/.test(s) && /\d/.test(s) ? s : undefined;
}

/** Sets the seat on a passenger's visit (only a visit on a trip). */
export async function setSeat(db: DbOrTx, visitId: string, seat: string): Promise<boolean> {
  const rows = await db
    .update(visits)
    .set({ seat })
    .where(and(eq(visits.id, visitId), sql`${visits.tripId} is not null`))
    .returning({ id: visits.id });
  return rows.length > 0;
}
