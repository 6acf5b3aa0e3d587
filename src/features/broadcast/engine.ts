import { and, asc, eq, gt, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { ChannelRegistry } from '../../core/channel.js';
import { scrub, type Deps } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import { toStored, type ChannelName, type Outbound } from '../../core/messages.js';
import { queryRows, type DbOrTx } from '../../db/client.js';
import { accounts, broadcasts, outbox, type Broadcast } from '../../db/schema/index.js';
import { enqueue } from '../../outbox/enqueue.js';
import { recordAudit } from '../officials/roles.js';
import { audienceCondition, countAudience, type Audience } from './audience.js';

/** Longest text each platform takes in one message (Telegram 4096, Zalo OA 2000 characters). */
export const CHANNEL_TEXT_LIMITS: Record<ChannelName, number> = { telegram: 4096, zalo: 2000, web: 4096 };
/** Accounts turned into outbox rows per statement: small enough for short transactions on 100k audiences. */
export const QUEUE_CHUNK = 5000;
/** The progress message is edited at most this often (Telegram dislikes rapid edits of one message). */
export const PROGRESS_EDIT_INTERVAL_MS = 3000;
/** How long after finishing a failed final progress edit is still retried. */
export const FINAL_EDIT_RETRY_MS = 10 * 60_000;
/**
 * Channels whose edit changes the message in place. Elsewhere (Zalo sends a new message for each "edit", the web
 * chat cannot edit) the official gets the first progress message and the final report, not a stream.
 */
export const EDITS_IN_PLACE: ReadonlySet<ChannelName> = new Set(['telegram']);

export type BroadcastFormat = 'plain' | 'html';
export type BroadcastStatus = 'scheduled' | 'queuing' | 'sending' | 'done' | 'cancelled';
const ACTIVE: BroadcastStatus[] = ['scheduled', 'queuing', 'sending'];

/** The message residents get, in their language: a short header, then the official's text as written. */
export function broadcastMessage(text: string, format: BroadcastFormat, locale: string): Outbound {
  const header = tFor(locale)('broadcast:header');
  return { text: `${header}\n\n${text}`, format };
}

/** What the platform counts: Telegram measures text after parsing HTML entities. */
export function visibleLength(text: string, format: BroadcastFormat): number {
  const visible =
    format === 'html'
      ? text
          .replace(/<[^>]*>/g, '')
          .replace(/&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, '_')
      : text;
  return [...visible].length;
}

/** Channels (with recipients) whose limit the message exceeds. */
export function lengthProblems(
  text: string,
  format: BroadcastFormat,
  channels: Iterable<ChannelName>,
): { channel: ChannelName; limit: number; length: number }[] {
  const out: { channel: ChannelName; limit: number; length: number }[] = [];
  for (const channel of channels) {
    // Vietnamese header is the longer one; check with it so both languages fit.
    const length = visibleLength(broadcastMessage(text, format, 'vi').text!, format);
    const limit = CHANNEL_TEXT_LIMITS[channel];
    if (length > limit) out.push({ channel, limit, length });
  }
  return out;
}

export interface NewBroadcast {
  text: string;
  format?: BroadcastFormat;
  audience: Audience;
  scheduledAt?: Date;
  actor: string;
  /** the official's chat account, to receive the progress message and the final report */
  progressAccountId?: string;
}

/**
 * Validate and store a broadcast; it is queued by queueDueBroadcasts at `scheduledAt` (now when absent).
 * Throws AppError BROADCAST_EMPTY, UNKNOWN_WARD or BROADCAST_TOO_LONG.
 */
export async function createBroadcast(db: DbOrTx, b: NewBroadcast, now: Date): Promise<Broadcast> {
  const format = b.format ?? 'plain';
  const text = b.text.trim();
  if (!text) throw new AppError('BROADCAST_EMPTY', 'The announcement has no text.', 400);
  if ('wardCodes' in b.audience) {
    const codes = [...new Set(b.audience.wardCodes)];
    if (codes.length === 0) throw new AppError('UNKNOWN_WARD', 'Choose at least one ward.', 400);
    const known = await db.query.wards.findMany({ columns: { code: true }, where: (w, { inArray: within }) => within(w.code, codes) });
    const missing = codes.filter((c) => !known.some((k) => k.code === c));
    if (missing.length) throw new AppError('UNKNOWN_WARD', `Unknown ward codes: ${missing.join(', ')}`, 400, { wardCodes: missing });
    b = { ...b, audience: { wardCodes: codes } };
  }
  const count = await countAudience(db, b.audience);
  const problems = lengthProblems(text, format, Object.keys(count.byChannel) as ChannelName[]);
  if (problems.length) {
    const p = problems[0]!;
    throw new AppError('BROADCAST_TOO_LONG', `The text is ${p.length} characters; ${p.channel} takes at most ${p.limit}.`, 400, problems);
  }
  const scheduledAt = b.scheduledAt && b.scheduledAt > now ? b.scheduledAt : now;
  const [row] = await db
    .insert(broadcasts)
    .values({
      text,
      format,
      audience: b.audience,
      status: scheduledAt > now ? 'scheduled' : 'queuing',
      scheduledAt,
      createdBy: b.actor,
      createdAt: now,
      progressAccountId: b.progressAccountId,
    })
    .returning();
  await recordAudit(db, {
    actor: b.actor,
    action: 'broadcast.create',
    subjectType: 'broadcast',
    subjectId: row!.id,
    details: { audience: b.audience, scheduledAt: scheduledAt.toISOString(), recipients: count.total, length: text.length },
    at: now,
  });
  return row!;
}

/**
 * Turn due broadcasts into outbox rows. Each chunk is one INSERT … SELECT … ON CONFLICT DO NOTHING on the
 * dedupe key `broadcast:<id>:<account>`, under the broadcast's row lock, so a crash, a restart or a second
 * instance running this at the same time never duplicates or skips anyone: a rerun re-selects the same
 * accounts and inserts only the missing ones. Unreachable accounts get a row already marked `unreachable`,
 * so they are counted without being sent. Returns the ids moved to `sending`.
 */
export async function queueDueBroadcasts(deps: Pick<Deps, 'database' | 'clock' | 'log'>, opts: { chunk?: number } = {}): Promise<string[]> {
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
        if (!b || (b.status !== 'scheduled' && b.status !== 'queuing')) return { done: true, last: null, skipped: true };
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
  const c: BroadcastCounts = { total: 0, sent: 0, failed: 0, unreachable: 0, undeliverable: 0, cancelled: 0, pending: 0 };
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

export type CancelResult = { ok: true; cancelledRows: number } | { ok: false; reason: 'not_found' | 'finished' };

/**
 * Stop a broadcast: its status first (under the row lock the queuing job takes, so no chunk lands after), then
 * every row still pending becomes `cancelled`. Rows a worker is sending right now still go out.
 */
export async function cancelBroadcast(db: DbOrTx, c: { id: string; actor: string; now: Date }): Promise<CancelResult> {
  const [b] = await db
    .update(broadcasts)
    .set({ status: 'cancelled', cancelledAt: c.now, cancelledBy: c.actor, finishedAt: c.now })
    .where(and(eq(broadcasts.id, c.id), inArray(broadcasts.status, ACTIVE)))
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
  await recordAudit(db, { actor: c.actor, action: 'broadcast.cancel', subjectType: 'broadcast', subjectId: c.id, details: { cancelledRows: rows.length }, at: c.now });
  return { ok: true, cancelledRows: rows.length };
}

/** The most recent broadcast still scheduled or sending (what /huythongbao stops). */
export async function latestActiveBroadcast(db: DbOrTx): Promise<Broadcast | undefined> {
  return db.query.broadcasts.findFirst({
    where: inArray(broadcasts.status, ACTIVE),
    orderBy: (b, { desc }) => [desc(b.createdAt)],
  });
}

/** "Đã gửi 12.400/50.000 · 25% · còn khoảng 25 phút" */
export function progressText(locale: string, counts: BroadcastCounts, startedAt: Date | null, now: Date): string {
  const t = tFor(locale);
  const nf = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN');
  const done = counts.total - counts.pending;
  const pct = counts.total === 0 ? 100 : Math.floor((done * 100) / counts.total);
  const parts = [t('broadcast:progress_done', { done: nf.format(done), total: nf.format(counts.total) }), `${pct}%`];
  // The rate counts only what a worker handled: rows unreachable at queue time were never in the queue.
  const handled = counts.sent + counts.failed + counts.undeliverable;
  const elapsedMs = startedAt ? now.getTime() - startedAt.getTime() : 0;
  if (counts.pending > 0) {
    if (handled > 0 && elapsedMs > 0) {
      const minutes = Math.ceil((counts.pending / (handled / elapsedMs)) / 60_000);
      parts.push(t('broadcast:progress_eta', { count: minutes }));
    } else parts.push(t('broadcast:progress_eta_unknown'));
  }
  return parts.join(' · ');
}

/**
 * The final report. Undeliverable messages (Zalo outside its interaction window, no template) are named on their
 * own: unlike a failure, the official can act on them (configure a template, ask people to write to the OA).
 */
export function reportText(locale: string, c: BroadcastCounts): string {
  const t = tFor(locale);
  const nf = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN');
  const report = t('broadcast:report', {
    sent: nf.format(c.sent),
    failed: nf.format(c.failed),
    unreachable: nf.format(c.unreachable),
    cancelled: nf.format(c.cancelled),
    total: nf.format(c.total),
  });
  return c.undeliverable > 0 ? `${report}\n${t('broadcast:report_undeliverable', { count: nf.format(c.undeliverable) })}` : report;
}

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
    const counts = b.status === 'done' && b.finalCounts ? (b.finalCounts as unknown as BroadcastCounts) : await broadcastCounts(db, b.id);
    const official = b.progressAccountId
      ? await db.query.accounts.findFirst({ where: eq(accounts.id, b.progressAccountId) })
      : undefined;
    if (counts.pending === 0) {
      const won = await db.transaction(async (tx) => {
        const [row] = await tx
          .update(broadcasts)
          .set({ status: 'done', finishedAt: now, finalCounts: { ...counts } })
          .where(and(eq(broadcasts.id, b.id), eq(broadcasts.status, 'sending')))
          .returning({ id: broadcasts.id });
        if (!row) return false;
        if (official) {
          await enqueue(tx, [
            {
              channel: official.channel as ChannelName,
              accountId: official.id,
              kind: 'broadcast_report',
              refId: b.id,
              dedupeKey: `broadcast-report:${b.id}`,
              messages: [{ text: reportText(official.locale, counts) }],
              notBefore: now,
            },
          ]);
        }
        return true;
      });
      if (won) {
        finished.push(b.id);
        deps.log.info({ broadcastId: b.id, ...counts }, 'broadcast finished');
        deps.wakeOutbox?.();
      }
    }
    if (!official || !deps.channels?.get(official.channel as ChannelName)) continue;
    // Finished before any progress message went out: the report says it all, and a "100 %" sent now could
    // arrive after it.
    if (counts.pending === 0 && !b.progressMessageRef) continue;
    const canEdit = EDITS_IN_PLACE.has(official.channel as ChannelName);
    if (b.progressMessageRef && !canEdit) continue;
    const text = progressText(official.locale, counts, b.startedAt, now);
    if (text === b.progressText) continue;
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
    if (claimed.length === 0) continue;
    const sender = deps.channels.get(official.channel as ChannelName)!;
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
      edited.push(b.id);
    } catch (err) {
      deps.log.warn({ broadcastId: b.id, err: scrub(err) }, 'progress message not updated');
    }
  }
  return { finished, edited };
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
