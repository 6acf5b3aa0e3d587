import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { accounts, dialogStates, processedUpdates } from '../db/schema/index.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './errors.js';
import type { ChannelCapabilities } from './channel.js';
import { tFor } from './i18n.js';
import type { ChannelName, Outbound } from './messages.js';
import { numberChoices } from './numbered-choices.js';

/**
 * The per-account bookkeeping every channel needs, written once: which platform updates were handled
 * (de-duplication), who can be reached, and which numbered choices an account last saw.
 */

/** Records a platform update id; false when it was handled before (a redelivery). */
export async function firstDelivery(db: DbOrTx, channel: ChannelName, updateId: string): Promise<boolean> {
  const rows = await db
    .insert(processedUpdates)
    .values({ channel, updateId })
    .onConflictDoNothing()
    .returning({ id: processedUpdates.updateId });
  return rows.length > 0;
}

/**
 * The platform said we may (not) message this account: blocked the bot, unfollowed the OA, or came back.
 * Outside any transaction; a database outage surfaces as DatabaseUnavailableError so the update is redelivered.
 */
export async function markReachable(
  db: DbOrTx,
  channel: ChannelName,
  externalId: string,
  reachable: boolean,
  opts: { reason?: string; now: Date },
): Promise<void> {
  try {
    await db
      .update(accounts)
      .set(reachable ? { unreachableAt: null, unreachableReason: null } : { unreachableAt: opts.now, unreachableReason: opts.reason ?? 'blocked' })
      .where(and(eq(accounts.channel, channel), eq(accounts.externalId, externalId)));
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
    throw err;
  }
}

/**
 * Remember the numbered choices a message sent outside a dialog (outbox: an alert's buttons) put on screen.
 * The dialog's own replies store theirs with the dialog state; this only touches the menu column, so it never
 * conflicts with the runner's versioned write.
 */
export async function rememberMenu(db: DbOrTx, accountId: string, menu: string[] | null, now: Date): Promise<void> {
  await db
    .insert(dialogStates)
    .values({ accountId, menu, updatedAt: now })
    .onConflictDoUpdate({ target: dialogStates.accountId, set: { menu: menu === null ? sql`null` : menu } });
}

/**
 * Messages the service sends on its own (outbox), as this channel should show them: choices numbered where
 * the channel needs it, and that menu remembered for the account's next typed number.
 */
export async function presentProactive(
  db: DbOrTx,
  caps: ChannelCapabilities,
  accountId: string,
  messages: Outbound[],
  locale: string,
  now: Date,
): Promise<Outbound[]> {
  const shown = numberChoices(messages, caps, tFor(locale));
  if (shown.menu !== undefined) await rememberMenu(db, accountId, shown.menu, now);
  return shown.messages;
}
