import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { broadcasts, outbox } from '../../db/schema/index.js';
import type { BroadcastStatus } from './status.js';

export interface BroadcastCounts {
  total: number;
  sent: number;
  /** failed + dead: the platform refused or attempts ran out */
  failed: number;
  unreachable: number;
  undeliverable: number;
  cancelled: number;
  /** pending + sending */
  pending: number;
}

/** Counts read from the outbox rows of one broadcast, so they always add up to total. */
export async function broadcastCounts(db: DbOrTx, id: string): Promise<BroadcastCounts> {
  const rows = await db
    .select({ status: outbox.status, n: sql<string>`count(*)` })
    .from(outbox)
    .where(and(eq(outbox.kind, 'broadcast'), eq(outbox.refId, id)))
    .groupBy(outbox.status);
  const c: BroadcastCounts = {
    total: 0,
    sent: 0,
    failed: 0,
    unreachable: 0,
    undeliverable: 0,
    cancelled: 0,
    pending: 0,
  };
  for (const r of rows) {
    const n = Number(r.n);
    c.total += n;
    switch (r.status) {
      case 'sent':
        c.sent += n;
        break;
      case 'failed':
      case 'dead':
        c.failed += n;
        break;
      case 'unreachable':
        c.unreachable += n;
        break;
      case 'undeliverable':
        c.undeliverable += n;
        break;
      case 'cancelled':
        c.cancelled += n;
        break;
      default:
        c.pending += n;
    }
  }
  return c;
}

/** The one thing the chat and the API show about a broadcast. */
export async function broadcastView(db: DbOrTx, id: string) {
  const b = await db.query.broadcasts.findFirst({ where: eq(broadcasts.id, id) });
  if (!b) return undefined;
  const counts = b.finalCounts ? (b.finalCounts as unknown as BroadcastCounts) : await broadcastCounts(db, id);
  return {
    id: b.id,
    status: b.status as BroadcastStatus,
    audience: b.audience,
    scheduledAt: b.scheduledAt.toISOString(),
    startedAt: b.startedAt?.toISOString() ?? null,
    finishedAt: b.finishedAt?.toISOString() ?? null,
    ...counts,
  };
}
