import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
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
    /** the staff scanner page (GET /staff/scan) records a green pass without the tap; the owner's choice */
    autoRecordGreen: boolean('auto_record_green').notNull().default(false),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('venues_owner_idx').on(t.ownerAccountId),
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
  },
  (t) => [
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
