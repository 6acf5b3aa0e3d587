import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts, persons, wards } from './people.js';

/** A place that controls entry by QR: shop, office, bus trip, wedding… (kinds in src/features/venues). */
export const venues = pgTable(
  'venues',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** short code printed on the poster and typed into Zalo; no look-alike characters */
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    address: text('address'),
    wardCode: text('ward_code').references(() => wards.code),
    defaultStayMinutes: integer('default_stay_minutes').notNull(),
    ownerAccountId: uuid('owner_account_id').references(() => accounts.id, { onDelete: 'set null' }),
    /**
     * What the door does with a yellow pass: 'admit' | 'warn' | 'refuse'. Null = the default of the venue's kind
     * (src/features/venues/kinds.ts: clinics and schools refuse, others warn). Red is refused everywhere.
     */
    entryPolicy: text('entry_policy'),
    /** vehicles (transport kinds): the plate, flight number or boat name, and the route, e.g. «Cần Thơ – Sài Gòn» */
    plate: text('plate'),
    route: text('route'),
    /** the staff scanner page (GET /staff/scan) records a green pass without the tap; the owner's choice */
    autoRecordGreen: boolean('auto_record_green').notNull().default(false),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Set when the venue came from a target list (directive §11: venues that must register). Such a venue counts
     * as registered only once its owner claims it in chat with `claimCode` (then `claimedAt` is set).
     */
    requiredAt: timestamp('required_at', { withTimezone: true }),
    /** the code an official hands the owner of an imported required venue; kept so the missing list can show it */
    claimCode: text('claim_code').unique(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
  },
  (t) => [
    index('venues_owner_idx').on(t.ownerAccountId),
    index('venues_required_ward_idx')
      .on(t.wardCode)
      .where(sql`"required_at" is not null`),
    check('venues_entry_policy_ck', sql`${t.entryPolicy} in ('admit', 'warn', 'refuse')`),
  ],
);

/** Accounts allowed to act for a venue: 'owner' or 'staff'. */
export const venueStaff = pgTable(
  'venue_staff',
  {
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.venueId, t.accountId] }), index('venue_staff_account_idx').on(t.accountId)],
);

/** One run of a vehicle (a venue of a transport kind): departure and arrival. Passengers' visits point here. */
export const trips = pgTable(
  'trips',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    departsAt: timestamp('departs_at', { withTimezone: true }).notNull(),
    arrivesAt: timestamp('arrives_at', { withTimezone: true }).notNull(),
    label: text('label'),
    /** the timetable line that created it (null: added one by one) */
    timetableId: uuid('timetable_id').references(() => tripTimetables.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('trips_venue_departs_uq').on(t.venueId, t.departsAt),
    check('trips_arrives_after_ck', sql`${t.arrivesAt} > ${t.departsAt}`),
  ],
);

/** A weekly departure of a vehicle: ISO weekday (1 = Monday), departure «HH:MM» Vietnam time, duration. */
export const tripTimetables = pgTable(
  'trip_timetables',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    weekday: smallint('weekday').notNull(),
    departs: text('departs').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    label: text('label'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('trip_timetables_uq').on(t.venueId, t.weekday, t.departs)],
);

/**
 * One person's presence at a venue. exitedAt null = still inside (closed by leave, moving on, or the auto job).
 * Kept 21 days.
 */
export const visits = pgTable(
  'visits',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    /** the account that checked this person in (a family member's visit points at the parent account) */
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
    enteredAt: timestamp('entered_at', { withTimezone: true }).notNull(),
    exitedAt: timestamp('exited_at', { withTimezone: true }),
    exitReason: text('exit_reason'), // 'left' | 'moved_on' | 'auto'
    source: text('source').notNull(), // 'poster' | 'staff'
    /** the chat channel of the check-in; 'web' for a staff scan on the verify page */
    channel: text('channel').notNull(),
    /** for staff scans: the staff member's account that recorded the entry */
    recordedByAccountId: uuid('recorded_by_account_id').references(() => accounts.id, { onDelete: 'set null' }),
    /** vehicles: the trip the passenger boarded (the one departing or under way at check-in) */
    tripId: uuid('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    /** vehicles: the seat the passenger gave (e.g. «12C»), if any */
    seat: text('seat'),
  },
  (t) => [
    index('visits_trip_idx').on(t.tripId),
    // Exposure query: venue_id = $1 and entered_at in [from - longest stay, to) — equality first, then range.
    index('visits_venue_entered_idx').on(t.venueId, t.enteredAt),
    index('visits_person_entered_idx').on(t.personId, t.enteredAt),
    // The auto checkout job scans only open visits, a small fraction of the table.
    index('visits_open_entered_idx')
      .on(t.enteredAt)
      .where(sql`"exited_at" is null`),
  ],
);

/**
 * Single-use links the bot sends a venue's staff member: opening one in the phone's browser sets the signed
 * session cookie that lets them record entries on the pass verify page. Only the sha-256 of the code is kept.
 */
export const staffLoginLinks = pgTable('staff_login_links', {
  codeHash: text('code_hash').primaryKey(),
  venueId: uuid('venue_id')
    .notNull()
    .references(() => venues.id, { onDelete: 'cascade' }),
  accountId: uuid('account_id')
    .notNull()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

export type Venue = typeof venues.$inferSelect;
export type Visit = typeof visits.$inferSelect;
export type Trip = typeof trips.$inferSelect;
export type TripTimetable = typeof tripTimetables.$inferSelect;
