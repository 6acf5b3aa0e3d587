import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Deps } from '../../core/dialog.js';
import { toStored } from '../../core/messages.js';
import { queryRows } from '../../db/client.js';
import { broadcasts } from '../../db/schema/index.js';
import { audienceCondition } from './audience.js';
import { broadcastMessage, type BroadcastFormat } from './message.js';

/** Accounts turned into outbox rows per statement: small enough for short transactions on 100k audiences. */
export const QUEUE_CHUNK = 5000;
/**
 * Turn due broadcasts into outbox rows. Each chunk is one INSERT … SELECT … ON CONFLICT DO NOTHING on the
 * dedupe key `broadcast:<id>:<account>`, under the broadcast's row lock, so a crash, a restart or a second
 * instance running this at the same time never duplicates or skips anyone: a rerun re-selects the same
 * accounts and inserts only the missing ones. Unreachable accounts get a row already marked `unreachable`,
 * so they are counted without being sent. Returns the ids moved to `sending`.
 */
export async function queueDueBroadcasts(
  deps: Pick<Deps, 'database' | 'clock' | 'log'>,
  opts: { chunk?: number } = {},
): Promise<string[]> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const chunk = opts.chunk ?? QUEUE_CHUNK;
  const due = await db
    .select({ id: broadcasts.id })
    .from(broadcasts)
    .where(and(inArray(broadcasts.status, ['scheduled', 'queuing']), lte(broadcasts.scheduledAt, now)))
    .orderBy(asc(broadcasts.scheduledAt));
  const started: string[] = [];
  for (const { id } of due) {
    let after: string | null = null;
    for (;;) {
      const step: { done: boolean; last: string | null; skipped: boolean } = await db.transaction(async (tx) => {
        const [b] = await tx.select().from(broadcasts).where(eq(broadcasts.id, id)).for('update', { skipLocked: true });
        if (!b || (b.status !== 'scheduled' && b.status !== 'queuing'))
          return { done: true, last: null, skipped: true };
        if (b.status === 'scheduled') {
          await tx.update(broadcasts).set({ status: 'queuing', startedAt: now }).where(eq(broadcasts.id, id));
        }
        const vi = JSON.stringify(toStored([broadcastMessage(b.text, b.format as BroadcastFormat, 'vi')]));
        const en = JSON.stringify(toStored([broadcastMessage(b.text, b.format as BroadcastFormat, 'en')]));
        const cursor = after === null ? sql`true` : sql`a.id > ${after}`;
        const [r] = await queryRows<{ last: string | null; n: number | string }>(
          tx,
          sql`with chunk as (
                select a.id, a.channel, a.locale, a.unreachable_at from accounts a
                where ${audienceCondition(b.audience)} and ${cursor}
                order by a.id limit ${chunk}
              ), ins as (
                insert into outbox (channel, account_id, kind, ref_id, payload, dedupe_key, status, next_attempt_at, created_at)
                select c.channel, c.id, 'broadcast', ${id},
                       case when c.locale = 'en' then ${en}::jsonb else ${vi}::jsonb end,
                       'broadcast:' || ${id} || ':' || c.id,
                       case when c.unreachable_at is not null then 'unreachable' else 'pending' end,
                       ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
                from chunk c
                on conflict (dedupe_key) do nothing
                returning 1
              )
              select (select id::text from chunk order by id desc limit 1) as last, (select count(*) from chunk) as n`,
        );
        const n = Number(r?.n ?? 0);
        if (n < chunk) {
          const [{ total }] = (await queryRows<{ total: number | string }>(
            tx,
            sql`select count(*) as total from outbox where kind = 'broadcast' and ref_id = ${id}`,
          )) as [{ total: number | string }];
          await tx
            .update(broadcasts)
            .set({ status: 'sending', total: Number(total), startedAt: b.startedAt ?? now })
            .where(eq(broadcasts.id, id));
          return { done: true, last: null, skipped: false };
        }
        return { done: false, last: r!.last, skipped: false };
      });
      if (step.done) {
        if (!step.skipped) {
          started.push(id);
          deps.log.info({ broadcastId: id }, 'broadcast queued');
        }
        break;
      }
      after = step.last;
    }
  }
  return started;
}
