import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client.js';
import { accounts, dialogStates, processedUpdates } from '../db/schema/index.js';
import { numbersChoices, type ChannelSender } from './channel.js';
import type { Clock } from './clock.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './errors.js';
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
      .set(
        reachable
          ? { unreachableAt: null, unreachableReason: null }
          : { unreachableAt: opts.now, unreachableReason: opts.reason ?? 'blocked' },
      )
      .where(and(eq(accounts.channel, channel), eq(accounts.externalId, externalId)));
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
    throw err;
  }
}

/**
 * Remember the numbered choices a message sent outside a dialog (an alert's buttons, a queued reply) put on
 * screen, or forget them (null) when the message offered none: a number typed next then answers that message.
 * The dialog's own replies store theirs with the dialog state; this only touches the menu column, so it never
 * moves the runner's version (the runner retries if this created the row under it).
 */
export async function rememberMenu(db: DbOrTx, accountId: string, menu: string[] | null, now: Date): Promise<void> {
  if (menu === null) {
    // Nothing to forget for an account without a dialog state yet: no row is created for it.
    await db
      .update(dialogStates)
      .set({ menu: sql`null` })
      .where(and(eq(dialogStates.accountId, accountId), isNotNull(dialogStates.menu)));
    return;
  }
  await db
    .insert(dialogStates)
    .values({ accountId, menu, updatedAt: now })
    .onConflictDoUpdate({ target: dialogStates.accountId, set: { menu } });
}

/**
 * A registered sender as the core presents through it: every message the service sends on its own (outbox,
 * progress messages) has its choices numbered where the channel needs it, and that menu is remembered for the
 * account's next typed number before the person can see it. Replies from the dialog runner are numbered (and
 * their menu stored) inside its transaction and are marked `numbered`, so they are not numbered twice. Channels
 * that need no numbering get their sender back unchanged.
 */
export function presentingSender(inner: ChannelSender, deps: { database: Database; clock: Clock }): ChannelSender {
  if (!numbersChoices(inner.capabilities)) return inner;
  const present = async (externalId: string, messages: Outbound[], locale: string | undefined): Promise<Outbound[]> => {
    const db = deps.database.db;
    const ofAccount = and(eq(accounts.channel, inner.name), eq(accounts.externalId, externalId));
    if (!messages.some((m) => (m.buttons ?? []).some((row) => row.length > 0))) {
      // No choices (announcements, progress): a number typed next is an answer again. One statement.
      await db
        .update(dialogStates)
        .set({ menu: sql`null` })
        .where(
          and(
            isNotNull(dialogStates.menu),
            inArray(dialogStates.accountId, db.select({ id: accounts.id }).from(accounts).where(ofAccount)),
          ),
        );
      return messages;
    }
    const account = await db.query.accounts.findFirst({ columns: { id: true, locale: true }, where: ofAccount });
    const shown = numberChoices(messages, inner.capabilities, tFor(locale ?? account?.locale ?? 'vi'));
    if (account && shown.menu !== undefined) await rememberMenu(db, account.id, shown.menu, deps.clock.now());
    return shown.messages;
  };
  const edit = inner.edit?.bind(inner);
  return {
    name: inner.name,
    label: inner.label,
    capabilities: inner.capabilities,
    ratePerSecond: inner.ratePerSecond,
    send: async (externalId, messages, opts) =>
      inner.send(externalId, await present(externalId, messages, opts?.locale), opts),
    edit:
      edit &&
      (async (externalId, messageRef, message, opts) => {
        const [shown] = await present(externalId, [message], opts?.locale);
        return edit(externalId, messageRef, shown!, opts);
      }),
  };
}
