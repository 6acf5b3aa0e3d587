import { bigserial, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Platform update / message ids already handled, so a redelivery changes nothing. Kept 3 days. */
export const processedUpdates = pgTable(
  'processed_updates',
  {
    channel: text('channel').notNull(),
    updateId: text('update_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.updateId] }), index('processed_updates_at_idx').on(t.processedAt)],
);

/** Every official read of personal data and every case, window, broadcast and role change. Kept 1 year. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

/** Small service-wide values kept in the database (e.g. rotated Zalo tokens), so every instance sees them. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type ProcessedUpdate = typeof processedUpdates.$inferSelect;
