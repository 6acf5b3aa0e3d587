import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { broadcasts, outbox, type Broadcast } from '../../db/schema/index.js';
import { recordAudit } from '../../audit/audit-log.js';
import { ACTIVE_STATUSES } from './status.js';

export type CancelResult = { ok: true; cancelledRows: number } | { ok: false; reason: 'not_found' | 'finished' };

/**
 * Stop a broadcast: its status first (under the row lock the queuing job takes, so no chunk lands after), then
 * every row still pending becomes `cancelled`. Rows a worker is sending right now still go out.
 */
export async function cancelBroadcast(db: DbOrTx, c: { id: string; actor: string; now: Date }): Promise<CancelResult> {
  const [b] = await db
    .update(broadcasts)
    .set({ status: 'cancelled', cancelledAt: c.now, cancelledBy: c.actor, finishedAt: c.now })
    .where(and(eq(broadcasts.id, c.id), inArray(broadcasts.status, ACTIVE_STATUSES)))
    .returning({ id: broadcasts.id });
  if (!b) {
    const exists = await db.query.broadcasts.findFirst({ where: eq(broadcasts.id, c.id), columns: { id: true } });
    return { ok: false, reason: exists ? 'finished' : 'not_found' };
  }
  const rows = await db
    .update(outbox)
    .set({ status: 'cancelled' })
    .where(and(eq(outbox.kind, 'broadcast'), eq(outbox.refId, c.id), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id });
  await recordAudit(db, {
    actor: c.actor,
    action: 'broadcast.cancel',
    subjectType: 'broadcast',
    subjectId: c.id,
    details: { cancelledRows: rows.length },
    at: c.now,
  });
  return { ok: true, cancelledRows: rows.length };
}

/** The most recent broadcast still scheduled or sending (what /huythongbao stops). */
export async function latestActiveBroadcast(db: DbOrTx): Promise<Broadcast | undefined> {
  return db.query.broadcasts.findFirst({
    where: inArray(broadcasts.status, ACTIVE_STATUSES),
    orderBy: (b, { desc }) => [desc(b.createdAt)],
  });
}
