import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { DeliveryError, type ChannelRegistry } from '../core/channel.js';
import type { Clock } from '../core/clock.js';
import { scrub } from '../core/dialog.js';
import { fromStored, type StoredOutbound } from '../core/messages.js';
import { queryRows, type Database, type DbOrTx } from '../db/client.js';
import { accounts, outbox } from '../db/schema/index.js';
import type { Metrics } from '../core/metrics.js';
import type { Worker } from '../core/module.js';
import { RateLimiter } from './rate-limiter.js';
import type { SendRate } from './shared-rate.js';

/** Any constant: the transaction-level advisory lock that makes claims on one database take turns. */
const CLAIM_LOCK_KEY = 7_209_113_018;

export const OUTBOX_STATUSES = [
  'pending',
  'sending',
  'sent',
  'failed',
  'undeliverable',
  'unreachable',
  'dead',
  'cancelled',
] as const;

export interface DispatcherOptions {
  database: Database;
  /** looked up at send time: channel adapters register after the worker is created */
  channels: ChannelRegistry;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics?: Pick<Metrics, 'outboxDepth' | 'sends' | 'deliveryLatency'>;
  /** a message is `dead` after this many failed attempts (OUTBOX_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** rows claimed per round */
  batchSize?: number;
  /** how long a claim lasts; a worker that dies holding rows gives them back when it expires */
  leaseMs?: number;
  /** minimum time (the clock's monotonic ms) between two messages to one chat (Telegram: 1 msg/s per chat) */
  perChatIntervalMs?: number;
  /**
   * rows for one chat sent per round; the rest go back to the queue for the next round (a claim takes only a
   * chat's first unfinished row, so this is a bound, not a batch)
   */
  perChatPerBatch?: number;
  /** sends in flight at once (the channel's rate limit still applies) */
  concurrency?: number;
  /** sleep between empty rounds unless woken */
  pollIntervalMs?: number;
  /** retry delay: baseMs · 2^(attempt−1), capped at maxMs, with full jitter in its upper half */
  backoff?: { baseMs: number; maxMs: number };
  /** refresh of the outbox_messages gauge */
  depthIntervalMs?: number;
  random?: () => number;
  id?: string;
  /**
   * A channel's send rate. Default: a limiter in this process; the service gives every instance on PostgreSQL
   * the shared one (src/outbox/shared-rate.ts), so the platform's limit holds for all instances together.
   */
  sendRate?: (channel: string, ratePerSecond: number) => SendRate;
}

interface Claimed {
  id: string;
  channel: string;
  accountId: string;
  kind: string;
  payload: StoredOutbound[];
  attempts: number;
  createdAt: Date;
  /** next_attempt_at before the claim: a row handed back keeps its place in the queue */
  dueAt: Date;
  externalId: string;
  /** the account's language, for the channel adapter's own labels */
  locale: string;
  unreachable: boolean;
  /** when the claim ends (the clock's time, ms) */
  leaseUntil: number;
  /** the chat's last message sent by any instance, for per-chat spacing across instances */
  lastSentAt: Date | null;
}

/** Outcome of one row, for metrics and tests. */
export type SendResult =
  'sent' | 'rate_limited' | 'retry' | 'dead' | 'unreachable' | 'undeliverable' | 'failed' | 'released' | 'lost_lease';

/**
 * Delivers outbox rows through the channel senders. Safe with any number of dispatchers on one database:
 * rows are claimed with FOR UPDATE SKIP LOCKED under a lease (status 'sending', next_attempt_at = lease
 * expiry, so an expired claim is simply due again), and every outcome is written only if the row is still
 * this claim's (same attempts count), so a worker that lost its lease cannot overwrite the new owner.
 * Delivery is at least once: a worker that dies after sending but before recording it sends again later.
 *
 * Across instances: claims take turns (a transaction-level advisory lock), and a row is claimed only when no
 * earlier row of its chat is in flight or waiting unsent (claimed elsewhere, backing off, or left out of this
 * claim), so one chat's messages leave in order from whichever instance; the chat's last sent_at spaces them;
 * the channel's rate is the shared one (`sendRate`); a row whose lease is mostly spent before its slot comes
 * is handed back unsent rather than risk a second owner sending it too.
 */
export class OutboxDispatcher implements Worker {
  readonly name = 'outbox';
  readonly id: string;
  private readonly o: Required<Omit<DispatcherOptions, 'metrics' | 'id' | 'sendRate'>> &
    Pick<DispatcherOptions, 'metrics' | 'sendRate'>;
  private readonly limiters = new Map<string, SendRate>();
  /** clock.monotonic() of the last message to each chat, for per-chat spacing within this process */
  private readonly lastSent = new Map<string, number>();
  private loopPromise?: Promise<void>;
  private stopping = false;
  /** aborts the waits for a send slot when stop() is called, so stopping never waits on the clock */
  private stopSignal = stopController();
  private releaseOnStop = true;
  private woken = false;
  private wakeUp?: () => void;
  private lastDepthAt = -Infinity;

  constructor(opts: DispatcherOptions) {
    this.id = opts.id ?? randomUUID().slice(0, 8);
    this.o = {
      batchSize: 100,
      leaseMs: 60_000,
      perChatIntervalMs: 1000,
      perChatPerBatch: 3,
      concurrency: 32,
      pollIntervalMs: 1000,
      backoff: { baseMs: 2000, maxMs: 15 * 60_000 },
      depthIntervalMs: 10_000,
      random: Math.random,
      ...opts,
    };
  }

  start(): void {
    if (this.loopPromise) return;
    this.stopping = false;
    this.stopSignal = stopController();
    this.loopPromise = this.loop().finally(() => {
      this.loopPromise = undefined;
    });
  }

  /**
   * Stop after the sends in flight. Rows claimed but not yet sent go back to the queue at once; with
   * `release: false` they stay claimed until the lease expires (what a crash looks like to the others).
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.releaseOnStop = opts.release ?? true;
    this.stopSignal.abort();
    this.wake();
    await this.loopPromise;
  }

  /** New rows were committed: start a round now instead of after the poll interval. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let handled = 0;
      try {
        handled = await this.runOnce();
        failures = 0;
      } catch (err) {
        failures++;
        this.o.log.error({ err: scrub(err), worker: this.id }, 'outbox round failed');
      }
      if (this.stopping) break;
      if (handled === 0 || failures > 0) {
        await this.idle(failures > 0 ? Math.min(30_000, this.o.pollIntervalMs * 2 ** failures) : this.o.pollIntervalMs);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = this.o.clock.timeout(done, ms);
      const self = this;
      function done() {
        timer.cancel();
        self.wakeUp = undefined;
        self.woken = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** One round: claim due rows and deliver them. Returns how many rows were claimed. */
  async runOnce(): Promise<number> {
    await this.refreshDepth();
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    const byChat = new Map<string, Claimed[]>();
    for (const r of rows) byChat.set(r.accountId, [...(byChat.get(r.accountId) ?? []), r]);
    const chats = [...byChat.values()];
    let next = 0;
    const lane = async () => {
      while (next < chats.length) await this.deliverChat(chats[next++]!);
    };
    // Wait for every lane even when one fails, so no send of this round overlaps the next round's.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(this.o.concurrency, chats.length) }, lane));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return rows.length;
  }

  private async claim(): Promise<Claimed[]> {
    const now = this.o.clock.now();
    const lease = new Date(now.getTime() + this.o.leaseMs);
    const database = this.o.database;
    const rows = await database.db.transaction(async (tx) => {
      // One claim at a time on the database: the chat-order check below then sees every other claim committed.
      if (database.kind === 'postgres') await tx.execute(sql`select pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`);
      return this.claimRows(tx, now, lease);
    });
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      accountId: r.account_id,
      kind: r.kind,
      payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as StoredOutbound[],
      attempts: Number(r.attempts),
      createdAt: new Date(r.created_at),
      dueAt: new Date(r.due_at),
      externalId: r.external_id,
      locale: r.locale,
      unreachable: r.unreachable_at !== null,
      leaseUntil: lease.getTime(),
      lastSentAt: r.last_sent_at === null ? null : new Date(r.last_sent_at),
    }));
  }

  private claimRows(tx: DbOrTx, now: Date, lease: Date) {
    return queryRows<{
      id: string;
      channel: string;
      account_id: string;
      kind: string;
      payload: unknown;
      attempts: number;
      created_at: string | Date;
      due_at: string | Date;
      external_id: string;
      locale: string;
      unreachable_at: string | Date | null;
      last_sent_at: string | Date | null;
    }>(
      tx,
      // Ids break created_at ties in queue order (orderedUuid). The result lists chats by their most overdue
      // row and each chat's rows in queue order, which deliverChat keeps.
      // A row is claimed only while it is the first unfinished row of its chat: no earlier row of the chat is in
      // flight (here or elsewhere), due, or waiting for a retry (tried before). A message scheduled for later and
      // never tried does not hold the chat's newer ones back. So one chat gives one row per claim, and rows a chat
      // cannot send yet never fill the batch.
      sql`with due as (
            select o.id, o.next_attempt_at from outbox o
            where o.status in ('pending', 'sending') and o.next_attempt_at <= ${now.toISOString()}::timestamptz
              and not exists (
                select 1 from outbox p
                where p.account_id = o.account_id and p.status in ('pending', 'sending')
                  and (p.created_at, p.id) < (o.created_at, o.id)
                  and (p.status = 'sending' or p.next_attempt_at <= ${now.toISOString()}::timestamptz
                       or p.attempts > 0 or p.last_error is not null)
              )
            order by o.next_attempt_at, o.created_at, o.id
            limit ${this.o.batchSize}
            for update of o skip locked
          ), claimed as (
            update outbox o
            set status = 'sending', attempts = o.attempts + 1,
                lease_until = ${lease.toISOString()}::timestamptz, next_attempt_at = ${lease.toISOString()}::timestamptz
            from due, accounts a
            where o.id = due.id and a.id = o.account_id
            returning o.id, o.channel, o.account_id, o.kind, o.payload, o.attempts, o.created_at,
                      due.next_attempt_at as due_at, a.external_id, a.locale, a.unreachable_at,
                      (select max(s.sent_at) from outbox s
                       where s.account_id = o.account_id and s.sent_at is not null) as last_sent_at
          )
          select * from claimed
          order by min(due_at) over (partition by account_id), account_id, created_at, id`,
    );
  }

  /** One chat's rows of this round, in order, spaced by perChatIntervalMs. */
  private async deliverChat(rows: Claimed[]): Promise<void> {
    if (rows[0]?.unreachable) {
      // Blocked earlier (and has not written since): nothing is sent to this chat.
      for (const r of rows) {
        await this.finish(r, { status: 'unreachable', lastError: 'account unreachable' });
        this.count(r, 'unreachable');
      }
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (this.stopping || i >= this.o.perChatPerBatch) {
        if (!this.stopping || this.releaseOnStop) await this.release(rows.slice(i));
        return;
      }
      const outcome = await this.deliver(row);
      if (outcome === 'retry' || outcome === 'rate_limited' || outcome === 'released') {
        // This row comes back later: the chat's newer rows must not overtake it (nor be sent on another instance
        // before it: the claim holds back a chat whose earlier row waits for a retry).
        await this.release(rows.slice(i + 1));
        return;
      }
      if (outcome === 'unreachable') {
        // markUnreachable closed the chat's pending rows; the rest of this round is under our lease.
        for (const r of rows.slice(i + 1)) {
          await this.finish(r, { status: 'unreachable', lastError: 'account unreachable' });
          this.count(r, 'unreachable');
        }
        return;
      }
    }
  }

  private async deliver(row: Claimed): Promise<SendResult> {
    const sender = this.o.channels.get(row.channel as never);
    if (!sender) return this.retry(row, `channel ${row.channel} is not configured on this instance`);

    const interval = this.o.perChatIntervalMs;
    const last = this.lastSent.get(row.accountId);
    let wait = last === undefined ? 0 : last + interval - this.o.clock.monotonic();
    if (row.lastSentAt) {
      // Sent by any instance: on the calendar clock, capped (a sent_at from a clock ahead must not stall the chat).
      const since = this.o.clock.now().getTime() - row.lastSentAt.getTime();
      wait = Math.max(wait, Math.min(interval, interval - since));
    }
    if (wait > 0) await this.o.clock.sleep(wait, this.stopSignal.signal);
    let limiter = this.limiters.get(row.channel);
    if (!limiter) {
      limiter = this.o.sendRate
        ? this.o.sendRate(row.channel, sender.ratePerSecond)
        : new RateLimiter(sender.ratePerSecond, this.o.clock);
      this.limiters.set(row.channel, limiter);
    }
    await limiter.take(this.stopSignal.signal);
    if (this.stopping) {
      // Stopped while waiting for the slot: not sent, so the row goes back (or stays leased, as after a crash).
      if (this.releaseOnStop) await this.release([row]);
      return 'released';
    }
    if (this.o.clock.now().getTime() > row.leaseUntil - this.o.leaseMs / 4) {
      // Most of the lease went waiting for a slot: another instance may claim the row soon, so give it back
      // rather than send it while that can happen.
      await this.release([row]);
      return 'released';
    }
    this.lastSent.set(row.accountId, this.o.clock.monotonic());
    if (this.lastSent.size > 100_000) this.lastSent.clear(); // only recent chats matter; bound the memory

    try {
      await sender.send(row.externalId, fromStored(row.payload), { proactive: true, locale: row.locale });
    } catch (err) {
      return this.failed(row, err);
    }
    const now = this.o.clock.now();
    const ok = await this.finish(row, { status: 'sent', sentAt: now, lastError: null });
    if (!ok) return this.count(row, 'lost_lease');
    const latency = (now.getTime() - row.createdAt.getTime()) / 1000;
    if (latency >= 0) this.o.metrics?.deliveryLatency.observe({ channel: row.channel, kind: row.kind }, latency);
    return this.count(row, 'sent');
  }

  private async failed(row: Claimed, err: unknown): Promise<SendResult> {
    const message = errorText(err);
    if (!(err instanceof DeliveryError)) return this.retry(row, message);
    switch (err.kind) {
      case 'retry':
        if (err.retryAfterMs !== undefined) {
          // The platform said when: obey it, and do not count it as a failed attempt.
          const at = new Date(this.o.clock.now().getTime() + err.retryAfterMs);
          await this.finish(row, {
            status: 'pending',
            nextAttemptAt: at,
            attempts: row.attempts - 1,
            lastError: message,
          });
          return this.count(row, 'rate_limited');
        }
        return this.retry(row, message);
      case 'unreachable':
        await this.markUnreachable(row, message);
        return this.count(row, 'unreachable');
      case 'undeliverable':
        await this.finish(row, { status: 'undeliverable', lastError: message });
        return this.count(row, 'undeliverable');
      case 'fatal':
        await this.finish(row, { status: 'failed', lastError: message });
        return this.count(row, 'failed');
    }
  }

  private async retry(row: Claimed, message: string): Promise<SendResult> {
    if (row.attempts >= this.o.maxAttempts) {
      await this.finish(row, { status: 'dead', lastError: message });
      this.o.log.warn({ outboxId: row.id, attempts: row.attempts, worker: this.id }, 'outbox message dead');
      return this.count(row, 'dead');
    }
    const at = new Date(this.o.clock.now().getTime() + this.backoffMs(row.attempts));
    await this.finish(row, { status: 'pending', nextAttemptAt: at, lastError: message });
    return this.count(row, 'retry');
  }

  /** Delay before attempt `attempts + 1`: exponential, capped, jittered in its upper half so retries spread. */
  backoffMs(attempts: number): number {
    const full = Math.min(this.o.backoff.maxMs, this.o.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(full / 2 + (this.o.random() * full) / 2);
  }

  private async markUnreachable(row: Claimed, message: string): Promise<void> {
    const now = this.o.clock.now();
    await this.o.database.db.transaction(async (tx) => {
      await tx
        .update(outbox)
        .set({ status: 'unreachable', leaseUntil: null, lastError: message })
        .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), eq(outbox.attempts, row.attempts)));
      await tx
        .update(accounts)
        .set({ unreachableAt: now, unreachableReason: message.slice(0, 200) })
        .where(and(eq(accounts.id, row.accountId), isNull(accounts.unreachableAt)));
      // A row another worker holds under a live lease is its to finish: that send may already have gone
      // out (then it is 'sent'), and if it fails the owner sees the account unreachable on the next claim.
      await tx
        .update(outbox)
        .set({ status: 'unreachable', leaseUntil: null, lastError: 'account unreachable' })
        .where(
          and(
            eq(outbox.accountId, row.accountId),
            sql`(${outbox.status} = 'pending'
                 or (${outbox.status} = 'sending' and ${outbox.leaseUntil} <= ${now.toISOString()}::timestamptz))`,
          ),
        );
    });
    this.o.log.info({ accountId: row.accountId, worker: this.id }, 'account unreachable; its pending messages stopped');
  }

  /** Gives claimed rows back unsent (shutdown, or more rows for one chat than a round sends). */
  private async release(rows: Claimed[]): Promise<void> {
    for (const r of rows) {
      await this.finish(r, { status: 'pending', nextAttemptAt: r.dueAt, attempts: r.attempts - 1 });
      this.count(r, 'released');
    }
  }

  /** Writes an outcome if the row is still this claim's. False when the lease was lost to another worker. */
  private async finish(
    row: Claimed,
    set: { status: string; sentAt?: Date; nextAttemptAt?: Date; attempts?: number; lastError?: string | null },
  ): Promise<boolean> {
    const done = await this.o.database.db
      .update(outbox)
      .set({ ...set, leaseUntil: null })
      .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), eq(outbox.attempts, row.attempts)))
      .returning({ id: outbox.id });
    if (done.length === 0)
      this.o.log.warn({ outboxId: row.id, worker: this.id }, 'outbox lease lost before the outcome was written');
    return done.length > 0;
  }

  private count(row: Claimed, result: SendResult): SendResult {
    this.o.metrics?.sends.inc({ channel: row.channel, result });
    return result;
  }

  private async refreshDepth(): Promise<void> {
    if (!this.o.metrics || this.o.clock.monotonic() - this.lastDepthAt < this.o.depthIntervalMs) return;
    this.lastDepthAt = this.o.clock.monotonic();
    const rows = await queryRows<{ status: string; n: number | string }>(
      this.o.database.db,
      sql`select status, count(*) as n from outbox group by status`,
    );
    const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
    for (const s of OUTBOX_STATUSES) this.o.metrics.outboxDepth.set({ status: s }, counts.get(s) ?? 0);
  }
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${String(e?.message ?? err)}`.slice(0, 500);
}

/** Every send waiting for its slot listens on it (a whole batch at once), so it takes any number of listeners. */
function stopController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
