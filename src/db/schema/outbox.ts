import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './people.js';

/**
 * Every message the service originates (alerts, announcements, progress) is a row here first.
 * Workers claim due rows with FOR UPDATE SKIP LOCKED under a lease; a dead worker's rows come back when
 * the lease expires.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    channel: text('channel').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** what it is for: 'alert' | 'broadcast' | 'progress' | … and the id of that thing */
    kind: text('kind').notNull(),
    refId: text('ref_id'),
    /** Outbound[] as JSON (src/core/messages.ts) */
    payload: jsonb('payload').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    /**
     * 'pending' | 'sending' (claimed; next_attempt_at = lease expiry) | 'sent' | 'failed' (bad request) |
     * 'undeliverable' | 'unreachable' | 'dead' (gave up after N attempts) | 'cancelled'
     */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    // The dispatcher claims in this order; without created_at and id here it sorts every due row per claim.
    index('outbox_due_idx')
      .on(t.nextAttemptAt, t.createdAt, t.id)
      .where(sql`status in ('pending', 'sending')`),
    index('outbox_ref_idx').on(t.kind, t.refId, t.status),
    // Same-chat order across instances: a claim looks for a chat's earlier unfinished rows.
    index('outbox_chat_open_idx')
      .on(t.accountId, t.createdAt, t.id)
      .where(sql`status in ('pending', 'sending')`),
    // Per-chat spacing across instances: when the chat's last message went out.
    index('outbox_chat_sent_idx')
      .on(t.accountId, t.sentAt)
      .where(sql`sent_at is not null`),
  ],
);

/**
 * The global send rate of each channel, shared by every instance: a token bucket of depth one kept in the form
 * of its next free slot (GCRA's "theoretical arrival time"). A sender takes a slot with one atomic
 * `insert … on conflict do update … returning`: the slot is max(next_at, now), and next_at moves one interval past
 * it. Slots are 1/rate apart whichever instance took them, so N instances together keep the platform's limit.
 */
export const sendRates = pgTable('send_rates', {
  channel: text('channel').primaryKey(),
  nextAt: timestamp('next_at', { withTimezone: true }).notNull(),
});

export type OutboxRow = typeof outbox.$inferSelect;
