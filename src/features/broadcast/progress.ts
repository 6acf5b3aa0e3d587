import { and, eq, gt, isNotNull, or, sql } from 'drizzle-orm';
import type { ChannelRegistry } from '../../core/channel.js';
import { scrub, type Deps } from '../../core/dialog.js';
import { accounts, broadcasts, type Account, type Broadcast } from '../../db/schema/index.js';
import { broadcastCounts, type BroadcastCounts } from './counts.js';
import { finishBroadcast } from './finish.js';
import { progressText } from './report-text.js';

/** The progress message is edited at most this often (Telegram dislikes rapid edits of one message). */
export const PROGRESS_EDIT_INTERVAL_MS = 3000;
/** How long after finishing a failed final progress edit is still retried. */
export const FINAL_EDIT_RETRY_MS = 10 * 60_000;

type ProgressDeps = Pick<Deps, 'database' | 'clock' | 'log' | 'wakeOutbox'> & { channels?: ChannelRegistry };

/**
 * Show progress to the official who sent a broadcast from chat (one message, edited in place) and finish
 * broadcasts whose rows are all handled: status `done` and a final report through the outbox. Safe on several
 * instances: a conditional UPDATE on progress_at lets one instance per interval touch a broadcast.
 */
export async function trackBroadcasts(deps: ProgressDeps): Promise<{ finished: string[]; edited: string[] }> {
  const db = deps.database.db;
  const now = deps.clock.now();
  // Recently finished ones too: if the last edit (100 %) failed in the tick that finished the broadcast, it is
  // retried on the next ticks rather than leaving the official looking at 95 %.
  const sending = await db
    .select()
    .from(broadcasts)
    .where(
      or(
        eq(broadcasts.status, 'sending'),
        and(
          eq(broadcasts.status, 'done'),
          isNotNull(broadcasts.progressMessageRef),
          gt(broadcasts.finishedAt, new Date(now.getTime() - FINAL_EDIT_RETRY_MS)),
        ),
      ),
    );
  const finished: string[] = [];
  const edited: string[] = [];
  for (const b of sending) {
    const counts =
      b.status === 'done' && b.finalCounts
        ? (b.finalCounts as unknown as BroadcastCounts)
        : await broadcastCounts(db, b.id);
    const official = b.progressAccountId
      ? await db.query.accounts.findFirst({ where: eq(accounts.id, b.progressAccountId) })
      : undefined;
    if (counts.pending === 0 && (await finishBroadcast(deps, b.id, counts, official, now))) finished.push(b.id);
    if (official && (await showProgress(deps, b, counts, official, now))) edited.push(b.id);
  }
  return { finished, edited };
}

/**
 * Sends or edits the official's progress message when its text changed, at most once per interval across
 * instances. Returns whether the message was updated.
 */
async function showProgress(
  deps: ProgressDeps,
  b: Broadcast,
  counts: BroadcastCounts,
  official: Account,
  now: Date,
): Promise<boolean> {
  const db = deps.database.db;
  const sender = deps.channels?.get(official.channel);
  if (!sender) return false;
  // Finished before any progress message went out: the report says it all, and a "100 %" sent now could
  // arrive after it.
  if (counts.pending === 0 && !b.progressMessageRef) return false;
  // Where an "edit" is a new message (Zalo, the web chat) the official gets the first progress message and the
  // final report, not a stream.
  const canEdit = sender.capabilities.editsInPlace;
  if (b.progressMessageRef && !canEdit) return false;
  const text = progressText(official.locale, counts, b.startedAt, now);
  if (text === b.progressText) return false;
  const claimed = await db
    .update(broadcasts)
    .set({ progressAt: now })
    .where(
      and(
        eq(broadcasts.id, b.id),
        // The last edit (100 %) is never held back by the interval.
        counts.pending === 0
          ? undefined
          : sql`(${broadcasts.progressAt} is null or ${broadcasts.progressAt} <= ${new Date(now.getTime() - PROGRESS_EDIT_INTERVAL_MS).toISOString()}::timestamptz)`,
      ),
    )
    .returning({ ref: broadcasts.progressMessageRef });
  if (claimed.length === 0) return false;
  try {
    const ref = claimed[0]!.ref;
    const receipt =
      ref && sender.edit
        ? await sender.edit(official.externalId, ref, { text }, { locale: official.locale })
        : await sender.send(official.externalId, [{ text }], { proactive: true, locale: official.locale });
    await db
      .update(broadcasts)
      .set({ progressText: text, progressMessageRef: receipt?.messageRef ?? ref })
      .where(eq(broadcasts.id, b.id));
    return true;
  } catch (err) {
    deps.log.warn({ broadcastId: b.id, err: scrub(err) }, 'progress message not updated');
    return false;
  }
}
