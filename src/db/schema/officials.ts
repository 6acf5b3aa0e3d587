import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { accounts, declarations, persons } from './people.js';

/** Roles held by chat accounts: 'admin' | 'health' | 'comms'. Venue roles live in venue_staff. */
export const officialRoles = pgTable(
  'official_roles',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    /** ward scope of a `ward_health` role: ward codes and/or one district (all its wards); null for city-wide roles */
    wardCodes: text('ward_codes').array(),
    districtCode: text('district_code'),
    grantedBy: text('granted_by').notNull(),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.role] })],
);

/** Single-use invites that grant a role (or venue staff rights) to the chat account that opens them. */
export const invites = pgTable('invites', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** sha-256 of the secret code in the link; the code itself is never stored */
  codeHash: text('code_hash').notNull().unique(),
  role: text('role').notNull(),
  /** for venue staff invites */
  venueId: uuid('venue_id'),
  /** the scope a `ward_health` invite grants (official_roles.ward_codes / district_code) */
  wardCodes: text('ward_codes').array(),
  districtCode: text('district_code'),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  usedByAccountId: uuid('used_by_account_id').references(() => accounts.id, { onDelete: 'set null' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/** Personal API tokens of officials: stored hashed, shown once, revocable. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull().unique(),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    roles: text('roles').array().notNull(),
    label: text('label'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('api_tokens_account_idx').on(t.accountId)],
);

/** An announcement. Delivery is one outbox row per (broadcast, account); counts are read from the outbox. */
export const broadcasts = pgTable(
  'broadcasts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    text: text('text').notNull(),
    format: text('format').notNull().default('plain'),
    /** {all: true} | {wardCodes: [...]} */
    audience: jsonb('audience').$type<{ all: true } | { wardCodes: string[] }>().notNull(),
    /** 'scheduled' | 'queuing' | 'sending' | 'done' | 'cancelled' */
    status: text('status').notNull(),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    total: integer('total'),
    createdBy: text('created_by').notNull(),
    /** the official's chat account and progress message to edit, when sent from chat */
    progressAccountId: uuid('progress_account_id').references(() => accounts.id, { onDelete: 'set null' }),
    progressMessageRef: text('progress_message_ref'),
    /** last progress text shown, so an unchanged bar is not edited again */
    progressText: text('progress_text'),
    /** claimed by the progress job (one instance per tick edits the message) */
    progressAt: timestamp('progress_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    cancelledBy: text('cancelled_by'),
    /** delivery counts when it finished: outbox rows are deleted by retention, the report must outlive them */
    finalCounts: jsonb('final_counts').$type<Record<string, number>>(),
  },
  (t) => [index('broadcasts_status_idx').on(t.status, t.scheduledAt)],
);

export type Broadcast = typeof broadcasts.$inferSelect;

/**
 * Ward follow-up of a resident (directive §2a): one row per person once an official has set a status.
 * `negativeAt` is when a negative test was recorded: an exposure alerted before it no longer keeps the pass yellow.
 */
export const followups = pgTable('followups', {
  personId: uuid('person_id')
    .primaryKey()
    .references(() => persons.id, { onDelete: 'cascade' }),
  /** 'new' | 'contacted' | 'testing' | 'negative' | 'isolating' | 'positive' | 'cleared' */
  status: text('status').notNull(),
  note: text('note'),
  negativeAt: timestamp('negative_at', { withTimezone: true }),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** Declarations already counted in a ward officials' batched follow-up alert, so a restart never reports them again. */
export const followupReported = pgTable('followup_reported', {
  declarationId: uuid('declaration_id')
    .primaryKey()
    .references(() => declarations.id, { onDelete: 'cascade' }),
  reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
});

/** Single-use sign-in links to the web console (the `/console` chat command); only the code's hash is kept. */
export const consoleLoginLinks = pgTable('console_login_links', {
  codeHash: text('code_hash').primaryKey(),
  accountId: uuid('account_id')
    .notNull()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/**
 * Web console sessions: only the hash of the cookie's id is stored. Signed in by link: the account's roles;
 * by a pasted API token: that token's (revoking the token ends the session).
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idHash: text('id_hash').notNull().unique(),
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    apiTokenId: uuid('api_token_id').references(() => apiTokens.id, { onDelete: 'cascade' }),
    /** the CSRF token every change from the console carries (x-csrf-token header or _csrf field) */
    csrfToken: text('csrf_token').notNull(),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('console_sessions_account_idx').on(t.accountId)],
);
