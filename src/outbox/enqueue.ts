import type { DbOrTx } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import { toStored, type ChannelName, type Outbound } from '../core/messages.js';
import { orderedUuid } from './ordered-id.js';

/**
 * next_attempt_at of a message that may leave at once. A fixed instant in the past rather than the database's
 * now(): the dispatcher compares next_attempt_at with its injected clock, and "due now" must hold whatever that
 * clock says (tests run a ManualClock years away from the database's time).
 */
export const DUE_AT_ONCE = new Date(0);

export interface OutboxMessage {
  channel: ChannelName;
  accountId: string;
  /** 'alert' | 'broadcast' | 'progress' | … */
  kind: string;
  refId?: string;
  /** unique: the same key queued twice is one message (e.g. `alert:<case>:<account>`) */
  dedupeKey: string;
  messages: Outbound[];
  /** not before this time */
  notBefore?: Date;
}

/**
 * Queue messages for delivery, inside the caller's transaction. Returns how many rows were new
 * (a dedupe key already queued counts 0). Call deps.wakeOutbox() after commit so they leave at once.
 */
export async function enqueue(db: DbOrTx, items: OutboxMessage[]): Promise<number> {
  if (items.length === 0) return 0;
  let inserted = 0;
  // Chunks keep the statement's parameter count well under PostgreSQL's limit.
  for (let i = 0; i < items.length; i += 1000) {
    const chunk = items.slice(i, i + 1000);
    const rows = await db
      .insert(outbox)
      .values(
        chunk.map((m) => ({
          id: orderedUuid(),
          channel: m.channel,
          accountId: m.accountId,
          kind: m.kind,
          refId: m.refId,
          dedupeKey: m.dedupeKey,
          payload: toStored(m.messages),
          nextAttemptAt: m.notBefore ?? DUE_AT_ONCE,
        })),
      )
      .onConflictDoNothing({ target: outbox.dedupeKey })
      .returning({ id: outbox.id });
    inserted += rows.length;
  }
  return inserted;
}
