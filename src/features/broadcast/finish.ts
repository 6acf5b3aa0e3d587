import { and, eq } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import type { ChannelName } from '../../core/messages.js';
import { broadcasts, type Account } from '../../db/schema/index.js';
import { enqueue } from '../../outbox/enqueue.js';
import type { BroadcastCounts } from './counts.js';
import { reportText } from './report-text.js';

/**
 * Marks a broadcast whose rows are all handled `done`, keeping its final counts, and queues the final report to the official who sent it, in one transaction. Only the instance whose
 * conditional UPDATE moved it out of `sending` does so; returns whether this call did.
 */
export async function finishBroadcast(
  deps: Pick<Deps, 'database' | 'log' | 'wakeOutbox'>,
  id: string,
  counts: BroadcastCounts,
  official: Account | undefined,
  now: Date,
): Promise<boolean> {
  const won = await deps.database.db.transaction(async (tx) => {
    const [row] = await tx
      .update(broadcasts)
      .set({ status: 'done', finishedAt: now, finalCounts: { ...counts } })
      .where(and(eq(broadcasts.id, id), eq(broadcasts.status, 'sending')))
      .returning({ id: broadcasts.id });
    if (!row) return false;
    if (official) {
      await enqueue(tx, [
        {
          channel: official.channel as ChannelName,
          accountId: official.id,
          kind: 'broadcast_report',
          refId: id,
          dedupeKey: `broadcast-report:${id}`,
          messages: [{ text: reportText(official.locale, counts) }],
          notBefore: now,
        },
      ]);
    }
    return true;
  });
  if (won) {
    deps.log.info({ broadcastId: id, ...counts }, 'broadcast finished');
    deps.wakeOutbox?.();
  }
  return won;
}
