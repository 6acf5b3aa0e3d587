import { sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import { queryRows, type Db } from '../db/client.js';

/** A channel's send rate: `take()` resolves when the caller may send one message. */
export interface SendRate {
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A next send time further ahead than this is not from this clock's present (a test's clock years away, a clock
 * set back): it is claimed over rather than waited for.
 */
const MAX_AHEAD_MS = 120_000;

/** The longest run of send times one claim takes (ms of the channel's rate). */
const MAX_BATCH_MS = 100;

/**
 * One channel's rate shared by every instance on the database (table send_rates). Why one row rather than leases
 * that split the rate: a lease gives each instance a fixed share, so an instance with nothing to send wastes its
 * share and a new or dead instance needs a rebalance; the row lets whoever has work send next, and needs no
 * knowledge of how many instances run.
 *
 * The row holds the channel's next free send time. A sender claims the present: one UPDATE succeeds only when the
 * next free time has come, and moves it one interval (1000/rate ms) past now; otherwise it returns how long to wait,
 * and the sender sleeps that long and tries again. Claims are therefore at least one interval apart, whichever
 * instance makes them, so no one-second window holds more than the rate plus one, and what the jitter between a
 * claim and its send (the claim's answer, the HTTP call) adds. A sender woken late (a busy machine) claims at the
 * time it really wakes: lateness lowers the rate a little and never bunches sends up. (An earlier version reserved
 * future slots and gave up any slot it woke late for; on a loaded machine every wake-up was late and sending all
 * but stopped. Letting a late claim keep the lost time made windows of 28 at 25/s on a loaded machine.)
 *
 * Within one instance the sends are taken in turn, so only one of its senders competes for the row at a time: at
 * most one UPDATE per instance per interval is refused. Where the round trip is longer than the interval, one claim
 * takes a run of consecutive send times, used one interval apart.
 *
 * Times are the instances' clocks (`clock.now()`): on one host they agree; across hosts keep NTP on (a skew of d
 * ms lets two sends land up to d ms closer).
 */
export class SharedSendRate implements SendRate {
  private turn: Promise<void> = Promise.resolve();
  /** Send times this instance has claimed and not used yet (clock ms), earliest first. */
  private readonly slots: number[] = [];
  /** A claim's round trip to the database (ms), smoothed. */
  private roundTripMs = 0;

  constructor(
    private readonly db: Db,
    private readonly channel: string,
    private readonly ratePerSecond: number,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
  ) {}

  take(signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) return Promise.resolve();
    const mine = this.turn.then(() => this.next(1000 / this.ratePerSecond, signal));
    this.turn = mine.catch(() => {});
    return mine;
  }

  /** Waits for this instance's next claimed send time, claiming more when none is left. */
  private async next(interval: number, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const slot = this.slots.shift();
      if (slot === undefined) {
        await this.claim(interval, signal);
        continue;
      }
      const wait = slot - this.clock.now().getTime();
      if (wait > 0) await this.clock.sleep(wait, signal);
      return;
    }
  }

  /**
   * Claims the next send times. One claim takes as many as fit in its round trip (at most MAX_BATCH_MS of them),
   * so a fast channel (a test's 150/s, a local Bot API) is not held to one send per round trip; at Telegram's
   * 25/s and a round trip of a few ms it takes one.
   */
  private async claim(interval: number, signal?: AbortSignal): Promise<void> {
    const count = Math.max(1, Math.min(Math.floor(this.roundTripMs / interval), Math.floor(MAX_BATCH_MS / interval)));
    while (!signal?.aborted) {
      const now = this.clock.now().getTime();
      const result = await this.claimNow(interval, count, new Date(now));
      this.roundTripMs = 0.7 * this.roundTripMs + 0.3 * (this.clock.now().getTime() - now);
      if ('from' in result) {
        for (let i = 0; i < count; i++) this.slots.push(result.from + i * interval);
        return;
      }
      await this.clock.sleep(result.waitMs, signal);
    }
  }

  /**
   * Claims `count` send times from the present (`at`, the first of them) if the channel's next free time has come,
   * else returns how long until it comes (ms).
   */
  private async claimNow(interval: number, count: number, at: Date): Promise<{ from: number } | { waitMs: number }> {
    const now = at.toISOString();
    const span = count * interval;
    const rows = await queryRows<{ claimed: boolean; ms: number | string }>(
      this.db,
      sql`with claimed as (
            insert into send_rates as r (channel, next_at)
            values (${this.channel}, ${now}::timestamptz + ${span} * interval '1 millisecond')
            on conflict (channel) do update set next_at = ${now}::timestamptz + ${span} * interval '1 millisecond'
              where r.next_at <= ${now}::timestamptz
                 or r.next_at > ${now}::timestamptz + ${MAX_AHEAD_MS} * interval '1 millisecond'
            returning 0 as ms)
          select true as claimed, ms from claimed
          union all
          select false, extract(epoch from (next_at - ${now}::timestamptz)) * 1000 from send_rates
           where channel = ${this.channel} and not exists (select 1 from claimed)`,
    );
    const row = rows[0];
    if (row?.claimed) return { from: at.getTime() };
    // Not claimed: whole ms and at least 1. The time read can be from before a concurrent claim that won the row
    // (the statement's snapshot), so it may already have passed: try again right away.
    return { waitMs: Math.max(1, Math.ceil(Number(row?.ms ?? 1))) };
  }
}
