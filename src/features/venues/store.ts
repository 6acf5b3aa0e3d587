import { createHash, randomInt } from 'node:crypto';
import { and, asc, eq, gt, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { AppError } from '../../core/errors.js';
import type { DbOrTx } from '../../db/client.js';
import { columnsOf, param, prepared, rowOf } from '../../db/prepared.js';
import { auditLog, invites, persons, venueStaff, venues, visits, wards, type Venue } from '../../db/schema/index.js';
import { CODE_ALPHABET, newClaimCode, newVenueCode } from './codes.js';
import {
  defaultStayFor,
  isEntryPolicy,
  isVenueKind,
  MAX_STAY_MINUTES,
  MIN_STAY_MINUTES,
  type EntryPolicy,
  type VenueKind,
} from './kinds.js';

export interface NewVenue {
  name: string;
  kind: string;
  address?: string | null;
  wardCode?: string | null;
  defaultStayMinutes?: number | null;
  /** what the door does with a yellow pass; unset = the kind's default */
  entryPolicy?: string | null;
  /** the chat account that registered it (becomes its owner); none for venues created by officials */
  ownerAccountId?: string;
  /** vehicles: plate, flight number or boat name; and the route */
  plate?: string | null;
  route?: string | null;
  /** a venue from a target list: registered only once claimed by its owner with the claim code drawn here */
  required?: { at: Date };
}

export const MAX_NAME_LENGTH = 120;
export const MAX_ADDRESS_LENGTH = 200;

/**
 * Checks a new venue and returns the values to store, or an AppError whose code says what is wrong
 * (the chat, the API and the CSV import share these rules).
 */
export async function validateNewVenue(db: DbOrTx, v: NewVenue) {
  const name = v.name?.trim().replace(/\s+/g, ' ') ?? '';
  if (!name) throw new AppError('VENUE_NAME_REQUIRED', 'name is required');
  if (name.length > MAX_NAME_LENGTH)
    throw new AppError('VENUE_NAME_TOO_LONG', `name is longer than ${MAX_NAME_LENGTH} characters`);
  const kind = v.kind?.trim() ?? '';
  if (!isVenueKind(kind)) throw new AppError('VENUE_KIND_UNKNOWN', `kind "${kind}" is not one of the venue kinds`);
  const address = v.address?.trim().replace(/\s+/g, ' ') || null;
  if (address && address.length > MAX_ADDRESS_LENGTH) {
    throw new AppError('VENUE_ADDRESS_TOO_LONG', `address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  }
  const wardCode = v.wardCode?.trim() || null;
  if (wardCode) {
    const ward = await db.query.wards.findFirst({ where: eq(wards.code, wardCode), columns: { code: true } });
    if (!ward) throw new AppError('WARD_NOT_FOUND', `ward "${wardCode}" is not in the imported ward list`);
  }
  const stay = v.defaultStayMinutes ?? defaultStayFor(kind as VenueKind);
  if (!Number.isInteger(stay) || stay < MIN_STAY_MINUTES || stay > MAX_STAY_MINUTES) {
    throw new AppError(
      'VENUE_STAY_INVALID',
      `defaultStayMinutes must be a whole number from ${MIN_STAY_MINUTES} to ${MAX_STAY_MINUTES}`,
    );
  }
  const entryPolicy = v.entryPolicy ?? null;
  if (entryPolicy !== null && !isEntryPolicy(entryPolicy)) {
    throw new AppError(
      'VENUE_ENTRY_POLICY_UNKNOWN',
      'entryPolicy must be one of admit, warn, refuse (or null for the default of the kind)',
    );
  }
  const plate = v.plate?.trim().replace(/\s+/g, ' ') || null;
  const route = v.route?.trim().replace(/\s+/g, ' ') || null;
  if ((plate && plate.length > MAX_NAME_LENGTH) || (route && route.length > MAX_ADDRESS_LENGTH)) {
    throw new AppError('VENUE_VEHICLE_TOO_LONG', 'plate or route is too long');
  }
  return { name, kind, address, wardCode, defaultStayMinutes: stay, entryPolicy, plate, route };
}

/** Creates a venue with a fresh random code; its owner account (if any) is recorded as staff role 'owner'. */
export async function createVenue(db: DbOrTx, v: NewVenue): Promise<Venue> {
  const values = await validateNewVenue(db, v);
  for (let attempt = 0; attempt < 8; attempt++) {
    const [row] = await db
      .insert(venues)
      .values({
        ...values,
        code: newVenueCode(),
        ownerAccountId: v.ownerAccountId,
        ...(v.required ? { requiredAt: v.required.at, createdAt: v.required.at, claimCode: newClaimCode() } : {}),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) continue; // the code (or claim code) was taken: draw another
    if (v.ownerAccountId) {
      await db
        .insert(venueStaff)
        .values({ venueId: row.id, accountId: v.ownerAccountId, role: 'owner' })
        .onConflictDoNothing();
    }
    return row;
  }
  throw new Error('could not draw a free venue code');
}

export type ClaimResult =
  { ok: true; venue: Venue } | { ok: false; reason: 'unknown' | 'claimed' | 'closed'; venue?: Venue };

/**
 * An owner takes over an imported required venue with its claim code: they become its owner (venue_staff
 * 'owner') and the venue counts as registered. A code already used (by anyone) says so; nothing is duplicated.
 * The row is locked so two owners sending the code at once cannot both claim it.
 */
export async function claimVenue(db: DbOrTx, code: string, accountId: string, now: Date): Promise<ClaimResult> {
  const [venue] = await db.select().from(venues).where(eq(venues.claimCode, code)).for('update');
  if (!venue) return { ok: false, reason: 'unknown' };
  if (venue.claimedAt) return { ok: false, reason: 'claimed', venue };
  if (venue.closedAt) return { ok: false, reason: 'closed', venue };
  const [row] = await db
    .update(venues)
    .set({ claimedAt: now, ownerAccountId: accountId })
    .where(eq(venues.id, venue.id))
    .returning();
  await db.insert(venueStaff).values({ venueId: venue.id, accountId, role: 'owner' }).onConflictDoNothing();
  return { ok: true, venue: row! };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID_RE.test(s);

const venueByIdQuery = prepared<{ id: string }, Venue>(
  'venue_by_id',
  () => sql`select ${columnsOf(venues)} from ${venues} where ${venues.id} = ${param('id')}::uuid`,
  rowOf(venues),
);

const venueByCodeQuery = prepared<{ code: string }, Venue>(
  'venue_by_code',
  () => sql`select ${columnsOf(venues)} from ${venues} where ${venues.code} = ${param('code')}::text`,
  rowOf(venues),
);

export async function venueById(db: DbOrTx, id: string): Promise<Venue | undefined> {
  if (!isUuid(id)) return undefined;
  return venueByIdQuery.first(db, { id });
}

export async function venueByCode(db: DbOrTx, code: string): Promise<Venue | undefined> {
  return venueByCodeQuery.first(db, { code });
}

export async function listVenues(
  db: DbOrTx,
  opts: { limit: number; offset: number; wardCode?: string },
): Promise<Venue[]> {
  return db.query.venues.findMany({
    where: opts.wardCode ? eq(venues.wardCode, opts.wardCode) : undefined,
    orderBy: [asc(venues.createdAt), asc(venues.id)],
    limit: opts.limit,
    offset: opts.offset,
  });
}

/** Venues an account owns or works at, with its role there. */
export async function venuesOfAccount(db: DbOrTx, accountId: string): Promise<(Venue & { role: string })[]> {
  const rows = await db
    .select({ venue: venues, role: venueStaff.role })
    .from(venueStaff)
    .innerJoin(venues, eq(venues.id, venueStaff.venueId))
    .where(eq(venueStaff.accountId, accountId))
    .orderBy(asc(venues.createdAt));
  return rows.map((r) => ({ ...r.venue, role: r.role }));
}

/** 'owner' | 'staff' for an account at a venue, or undefined. */
export async function staffRole(db: DbOrTx, venueId: string, accountId: string): Promise<string | undefined> {
  const row = await db.query.venueStaff.findFirst({
    where: and(eq(venueStaff.venueId, venueId), eq(venueStaff.accountId, accountId)),
  });
  return row?.role;
}

/** Sets what the venue's door does with a yellow pass (null = back to its kind's default). Returns the venue. */
export async function setEntryPolicy(
  db: DbOrTx,
  venueId: string,
  policy: EntryPolicy | null,
): Promise<Venue | undefined> {
  if (!isUuid(venueId)) return undefined;
  const [row] = await db.update(venues).set({ entryPolicy: policy }).where(eq(venues.id, venueId)).returning();
  return row;
}

/** Whether the staff scanner page records a green pass without the tap (checkin/scanner.ts). Returns the venue. */
export async function setAutoRecordGreen(db: DbOrTx, venueId: string, on: boolean): Promise<Venue | undefined> {
  if (!isUuid(venueId)) return undefined;
  const [row] = await db.update(venues).set({ autoRecordGreen: on }).where(eq(venues.id, venueId)).returning();
  return row;
}

export async function setVenueClosed(db: DbOrTx, venueId: string, closedAt: Date | null): Promise<void> {
  await db.update(venues).set({ closedAt }).where(eq(venues.id, venueId));
}

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

/** How long a staff invite link stays usable. */
export const STAFF_INVITE_HOURS = 72;
export const STAFF_INVITE_CODE_LENGTH = 12;

/** A single-use invite that makes whoever opens it staff of the venue. Returns the secret code (not stored). */
export async function createStaffInvite(
  db: DbOrTx,
  venueId: string,
  createdByAccountId: string,
  now: Date,
): Promise<string> {
  // From the venue-code alphabet so it can be typed too (≈ 59 bits), and fits a Telegram start parameter.
  let code = '';
  for (let i = 0; i < STAFF_INVITE_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  await db.insert(invites).values({
    codeHash: hashCode(code),
    role: 'venue_staff',
    venueId,
    createdBy: `account:${createdByAccountId}`,
    createdAt: now,
    expiresAt: new Date(now.getTime() + STAFF_INVITE_HOURS * 3_600_000),
  });
  return code;
}

export type AcceptInviteResult =
  | { ok: true; venue: Venue; alreadyStaff: boolean }
  | { ok: false; reason: 'invalid' | 'used' | 'expired' | 'venue_gone' };

/** Uses a staff invite for `accountId`. The row is locked so two people opening one link cannot both join. */
export async function acceptStaffInvite(
  db: DbOrTx,
  rawCode: string,
  accountId: string,
  now: Date,
): Promise<AcceptInviteResult> {
  const code = rawCode.trim().toUpperCase();
  const [inv] = await db
    .select()
    .from(invites)
    .where(and(eq(invites.codeHash, hashCode(code)), eq(invites.role, 'venue_staff')))
    .for('update');
  if (!inv || inv.revokedAt || !inv.venueId) return { ok: false, reason: 'invalid' };
  if (inv.usedAt) {
    // Opening one's own link twice is harmless: say so rather than call it used.
    if (inv.usedByAccountId === accountId) {
      const venue = await venueById(db, inv.venueId);
      return venue ? { ok: true, venue, alreadyStaff: true } : { ok: false, reason: 'venue_gone' };
    }
    return { ok: false, reason: 'used' };
  }
  if (inv.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const venue = await venueById(db, inv.venueId);
  if (!venue) return { ok: false, reason: 'venue_gone' };
  await db.update(invites).set({ usedAt: now, usedByAccountId: accountId }).where(eq(invites.id, inv.id));
  const existing = await staffRole(db, venue.id, accountId);
  if (!existing) await db.insert(venueStaff).values({ venueId: venue.id, accountId, role: 'staff', createdAt: now });
  return { ok: true, venue, alreadyStaff: !!existing };
}

export interface VisitRow {
  id: string;
  personId: string;
  fullName: string;
  birthYear: number;
  phone: string | null;
  enteredAt: Date;
  exitedAt: Date | null;
  exitReason: string | null;
  source: string;
  channel: string;
}

/**
 * Visits at one venue overlapping [from, to): entered before `to` and not left before `from`.
 * The range on entered_at (from − the longest stay) lets the (venue_id, entered_at) index bound the scan:
 * every visit is closed after at most the venue's stay by the auto checkout job.
 */
export async function visitsAtVenue(
  db: DbOrTx,
  venueId: string,
  from: Date,
  to: Date,
  lookBackMinutes: number,
  limit = 5000,
): Promise<VisitRow[]> {
  const earliest = new Date(from.getTime() - lookBackMinutes * 60_000);
  return db
    .select({
      id: visits.id,
      personId: visits.personId,
      fullName: persons.fullName,
      birthYear: persons.birthYear,
      phone: persons.phone,
      enteredAt: visits.enteredAt,
      exitedAt: visits.exitedAt,
      exitReason: visits.exitReason,
      source: visits.source,
      channel: visits.channel,
    })
    .from(visits)
    .innerJoin(persons, eq(persons.id, visits.personId))
    .where(
      and(
        eq(visits.venueId, venueId),
        lt(visits.enteredAt, to),
        gte(visits.enteredAt, earliest),
        or(isNull(visits.exitedAt), gt(visits.exitedAt, from)),
      ),
    )
    .orderBy(asc(visits.enteredAt))
    .limit(limit);
}

/** Number of visits per venue id (for lists). */
export async function visitCounts(db: DbOrTx, venueIds: string[], from: Date, to: Date): Promise<Map<string, number>> {
  if (venueIds.length === 0) return new Map();
  const rows = await db
    .select({ venueId: visits.venueId, n: sql<number>`count(*)::int` })
    .from(visits)
    .where(and(inArray(visits.venueId, venueIds), lt(visits.enteredAt, to), gt(visits.enteredAt, from)))
    .groupBy(visits.venueId);
  return new Map(rows.map((r) => [r.venueId, Number(r.n)]));
}

/**
 * What the door did at a venue in [from, to), from the audit trail the check-in feature writes: how many people
 * were refused (`entry.refused`: red anywhere, yellow where the policy refuses) and how many were admitted with a
 * warning (`entry.warned`). People, not attempts: a staff page reloaded or a second try by the same person
 * counts once.
 */
export async function doorCounts(
  db: DbOrTx,
  venueId: string,
  from: Date,
  to: Date,
): Promise<{ refused: number; warned: number }> {
  const rows = await db
    .select({ action: auditLog.action, n: sql<number>`count(distinct ${auditLog.subjectId})::int` })
    .from(auditLog)
    .where(
      and(
        inArray(auditLog.action, ['entry.refused', 'entry.warned']),
        gte(auditLog.at, from),
        lt(auditLog.at, to),
        sql`${auditLog.details}->>'venueId' = ${venueId}`,
      ),
    )
    .groupBy(auditLog.action);
  const of = (a: string) => Number(rows.find((r) => r.action === a)?.n ?? 0);
  return { refused: of('entry.refused'), warned: of('entry.warned') };
}
