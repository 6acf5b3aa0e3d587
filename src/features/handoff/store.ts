import { and, asc, eq, gt, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { contacts, declarations, exposureWindows, persons, trips, venues, visits } from '../../db/schema/index.js';
import { isoVn, type HandoffRow } from './format.js';

/** Rows one hand-off file may hold at most. */
export const HANDOFF_MAX_ROWS = 100_000;
/** Visits can be looked up this far before a window for ones still open then (the longest stay or trip). */
const LOOK_BACK_MS = 48 * 3_600_000;

export const CONTACT_COLUMNS = [
  'case_id',
  'person_id',
  'full_name',
  'birth_year',
  'phone',
  'ward_code',
  'kind',
  'source',
  'venue_id',
  'venue_name',
  'trip_id',
  'seat',
  'exposed_at',
  'overlap_minutes',
  'alerted_at',
  'acknowledged_at',
] as const;

export interface ContactListing {
  personId: string;
  fullName: string;
  birthYear: number;
  phone: string | null;
  wardCode: string | null;
  kind: string;
  overlapMinutes: number;
  exposedAt: Date;
  venueId: string | null;
  venueName: string | null;
  /** vehicles: the trip and seat of the contact's visit */
  tripId: string | null;
  seat: string | null;
  household: boolean;
  alertedAt: Date | null;
  acknowledgedAt: Date | null;
}

/** A case's contacts, in the order they were exposed (the API's list and the hand-off file). */
export async function contactsOfCase(db: DbOrTx, caseId: string, limit?: number): Promise<ContactListing[]> {
  const query = db
    .select({
      personId: contacts.personId,
      fullName: persons.fullName,
      birthYear: persons.birthYear,
      phone: persons.phone,
      wardCode: persons.wardCode,
      kind: contacts.kind,
      overlapMinutes: contacts.overlapMinutes,
      exposedAt: contacts.exposedAt,
      venueId: exposureWindows.venueId,
      venueName: venues.name,
      tripId: visits.tripId,
      seat: visits.seat,
      windowId: contacts.windowId,
      alertedAt: contacts.alertedAt,
      acknowledgedAt: contacts.acknowledgedAt,
    })
    .from(contacts)
    .innerJoin(persons, eq(persons.id, contacts.personId))
    .leftJoin(exposureWindows, eq(exposureWindows.id, contacts.windowId))
    .leftJoin(venues, eq(venues.id, exposureWindows.venueId))
    .leftJoin(visits, eq(visits.id, contacts.visitId))
    .where(eq(contacts.caseId, caseId))
    .orderBy(asc(contacts.exposedAt), asc(contacts.id));
  const rows = await (limit === undefined ? query : query.limit(limit));
  return rows.map(({ windowId, ...r }) => ({ ...r, household: windowId === null }));
}

/** A case's contacts: `source` = venue (a visit in a window), household (declared under the case's account). */
export async function caseContactRows(db: DbOrTx, caseId: string): Promise<HandoffRow[]> {
  const rows = await contactsOfCase(db, caseId, HANDOFF_MAX_ROWS);
  return rows.map((r) => ({
    case_id: caseId,
    person_id: r.personId,
    full_name: r.fullName,
    birth_year: r.birthYear,
    phone: r.phone,
    ward_code: r.wardCode,
    kind: r.kind,
    source: r.household ? 'household' : 'venue',
    venue_id: r.venueId,
    venue_name: r.venueName,
    trip_id: r.tripId,
    seat: r.seat,
    exposed_at: isoVn(r.exposedAt),
    overlap_minutes: r.overlapMinutes,
    alerted_at: isoVn(r.alertedAt),
    acknowledged_at: isoVn(r.acknowledgedAt),
  }));
}

export const VISIT_COLUMNS = [
  'visit_id',
  'venue_id',
  'venue_code',
  'venue_name',
  'venue_kind',
  'trip_id',
  'trip_departs_at',
  'person_id',
  'full_name',
  'birth_year',
  'phone',
  'ward_code',
  'seat',
  'entered_at',
  'exited_at',
  'exit_reason',
  'source',
] as const;

/** Visits at a venue overlapping [from, to), or every visit of a trip (`tripId`, no window). */
export async function visitRows(
  db: DbOrTx,
  by: { venueId: string; from: Date; to: Date } | { tripId: string },
): Promise<HandoffRow[]> {
  const where =
    'tripId' in by
      ? eq(visits.tripId, by.tripId)
      : and(
          eq(visits.venueId, by.venueId),
          lt(visits.enteredAt, by.to),
          gte(visits.enteredAt, new Date(by.from.getTime() - LOOK_BACK_MS)),
          or(isNull(visits.exitedAt), gt(visits.exitedAt, by.from)),
        );
  const rows = await db
    .select({
      visitId: visits.id,
      venueId: venues.id,
      venueCode: venues.code,
      venueName: venues.name,
      venueKind: venues.kind,
      tripId: visits.tripId,
      tripDepartsAt: trips.departsAt,
      personId: persons.id,
      fullName: persons.fullName,
      birthYear: persons.birthYear,
      phone: persons.phone,
      wardCode: persons.wardCode,
      seat: visits.seat,
      enteredAt: visits.enteredAt,
      exitedAt: visits.exitedAt,
      exitReason: visits.exitReason,
      source: visits.source,
    })
    .from(visits)
    .innerJoin(persons, eq(persons.id, visits.personId))
    .innerJoin(venues, eq(venues.id, visits.venueId))
    .leftJoin(trips, eq(trips.id, visits.tripId))
    .where(where)
    .orderBy(asc(visits.enteredAt), asc(visits.id))
    .limit(HANDOFF_MAX_ROWS);
  return rows.map((r) => ({
    visit_id: r.visitId,
    venue_id: r.venueId,
    venue_code: r.venueCode,
    venue_name: r.venueName,
    venue_kind: r.venueKind,
    trip_id: r.tripId,
    trip_departs_at: isoVn(r.tripDepartsAt),
    person_id: r.personId,
    full_name: r.fullName,
    birth_year: r.birthYear,
    phone: r.phone,
    ward_code: r.wardCode,
    seat: r.seat,
    entered_at: isoVn(r.enteredAt),
    exited_at: isoVn(r.exitedAt),
    exit_reason: r.exitReason,
    source: r.source === 'staff' ? 'staff' : 'self',
  }));
}

export const DECLARATION_COLUMNS = [
  'declaration_id',
  'person_id',
  'full_name',
  'birth_year',
  'phone',
  'ward_code',
  'declared_at',
  'symptoms',
  'contact_case',
  'contact_outbreak_area',
  'contact_symptoms',
  'travel',
  'travel_places',
  'vaccine_doses',
] as const;

/**
 * Declarations with a risk answer (any symptom, or contact with a case, an outbreak area or someone with
 * symptoms) made in [from, to) by residents of a ward (or of every ward when none is given).
 */
export async function riskDeclarationRows(
  db: DbOrTx,
  opts: { wardCode?: string; from: Date; to: Date },
): Promise<HandoffRow[]> {
  const rows = await db
    .select({
      id: declarations.id,
      personId: persons.id,
      fullName: persons.fullName,
      birthYear: persons.birthYear,
      phone: persons.phone,
      wardCode: persons.wardCode,
      declaredAt: declarations.declaredAt,
      symptoms: declarations.symptoms,
      contactCase: declarations.contactCase,
      contactOutbreakArea: declarations.contactOutbreakArea,
      contactSymptoms: declarations.contactSymptoms,
      travel: declarations.travel,
      travelPlaces: declarations.travelPlaces,
      vaccineDoses: declarations.vaccineDoses,
    })
    .from(declarations)
    .innerJoin(persons, eq(persons.id, declarations.personId))
    .where(
      and(
        gte(declarations.declaredAt, opts.from),
        lt(declarations.declaredAt, opts.to),
        opts.wardCode ? eq(persons.wardCode, opts.wardCode) : undefined,
        or(
          sql`cardinality(${declarations.symptoms}) > 0`,
          eq(declarations.contactCase, true),
          eq(declarations.contactOutbreakArea, true),
          eq(declarations.contactSymptoms, true),
        ),
      ),
    )
    .orderBy(asc(declarations.declaredAt), asc(declarations.id))
    .limit(HANDOFF_MAX_ROWS);
  return rows.map((r) => ({
    declaration_id: r.id,
    person_id: r.personId,
    full_name: r.fullName,
    birth_year: r.birthYear,
    phone: r.phone,
    ward_code: r.wardCode,
    declared_at: isoVn(r.declaredAt),
    symptoms: r.symptoms.join(';'),
    contact_case: r.contactCase,
    contact_outbreak_area: r.contactOutbreakArea,
    contact_symptoms: r.contactSymptoms,
    travel: r.travel,
    travel_places: r.travelPlaces,
    vaccine_doses: r.vaccineDoses,
  }));
}
