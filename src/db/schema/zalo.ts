import { jsonb, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './people.js';

/**
 * The last numbered menu shown to a Zalo account, so a typed "2" means the second option on any instance.
 * Labels can hold names (family members), hence a row per account that goes when the account goes.
 */
export const zaloMenus = pgTable('zalo_menus', {
  accountId: uuid('account_id')
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  /** button payloads in the order they were numbered (1-based on screen) */
  payloads: jsonb('payloads').$type<string[]>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
