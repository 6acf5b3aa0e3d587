import { index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accounts, persons } from './people.js';
import { trips, venues, visits } from './venues.js';

/** A confirmed case (F0). personId null when the phone is not known to khaibao. Red pass until closedAt. */
export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id').references(() => persons.id, { onDelete: 'set null' }),
    phone: text('phone'),
    onsetAt: timestamp('onset_at', { withTimezone: true }),
    testedAt: timestamp('tested_at', { withTimezone: true }),
    infectiousFrom: timestamp('infectious_from', { withTimezone: true }).notNull(),
    infectiousTo: timestamp('infectious_to', { withTimezone: true }).notNull(),
    note: text('note'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('cases_person_idx').on(t.personId), index('cases_phone_idx').on(t.phone)],
);

/**
 * Every person a case was found as: a phone declared on Telegram and on Zalo gives two persons, and each must
 * show red while the case is open (cases.person_id names only the first). Deleting a person removes the link.
 */
export const casePersons = pgTable(
  'case_persons',
  {
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.personId] }), index('case_persons_person_idx').on(t.personId)],
);

/** A time span at a venue when a case was (or may have been) present: from a case's visit, or entered by hand. */
export const exposureWindows = pgTable(
  'exposure_windows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').references(() => cases.id, { onDelete: 'cascade' }),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    /** the case's own visit this window came from (null for manual windows) */
    sourceVisitId: uuid('source_visit_id').references(() => visits.id, { onDelete: 'set null' }),
    fromAt: timestamp('from_at', { withTimezone: true }).notNull(),
    toAt: timestamp('to_at', { withTimezone: true }).notNull(),
    /** the case's own presence inside the window (for the close-contact overlap rule) */
    presenceFrom: timestamp('presence_from', { withTimezone: true }),
    presenceTo: timestamp('presence_to', { withTimezone: true }),
    advice: text('advice').notNull(), // 'monitor' | 'test'
    /** a window from the case's visit on a vehicle's trip: only that trip's passengers are matched */
    tripId: uuid('trip_id').references(() => trips.id, { onDelete: 'set null' }),
    /** the case's seat on that trip (for the seat-row rule) */
    seat: text('seat'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('exposure_windows_venue_idx').on(t.venueId, t.fromAt), index('exposure_windows_case_idx').on(t.caseId)],
);

/**
 * A person found at a venue during an exposure window. One row per (exposure key, person): the key is the
 * case id, or the manual window id, so the same case never makes two contacts for one person.
 */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    exposureKey: text('exposure_key').notNull(),
    caseId: uuid('case_id').references(() => cases.id, { onDelete: 'cascade' }),
    windowId: uuid('window_id').references(() => exposureWindows.id, { onDelete: 'cascade' }),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    visitId: uuid('visit_id').references(() => visits.id, { onDelete: 'set null' }),
    /** the account alerted on this person's behalf (the one that checked them in) */
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(), // 'close' | 'casual'
    overlapMinutes: integer('overlap_minutes').notNull(),
    exposedAt: timestamp('exposed_at', { withTimezone: true }).notNull(),
    alertedAt: timestamp('alerted_at', { withTimezone: true }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    /** contacts from an imported national list (POST /api/v1/exposures/import): the list's source and place */
    importSource: text('import_source'),
    importPlace: text('import_place'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contacts_key_person_uq').on(t.exposureKey, t.personId),
    index('contacts_person_idx').on(t.personId, t.exposedAt),
    // a manual window never alerts a visit that an earlier window already alerted
    index('contacts_visit_idx').on(t.visitId),
    index('contacts_case_idx').on(t.caseId),
  ],
);

export type Case = typeof cases.$inferSelect;
export type ExposureWindow = typeof exposureWindows.$inferSelect;
export type Contact = typeof contacts.$inferSelect;
