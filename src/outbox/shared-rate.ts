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

/**
 * One channel's rate shared by every instance on the database (table send_rates). Why one row rather than leases
 * that split the rate: a lease gives each instance a fixed share, so an instance with nothing to send wastes its
 * share and a new or dead instance needs a rebalance; the row lets whoever has work send next, and needs no
 * knowledge of how many instances run.
 *
 * The row holds the channel's next free send time. A sender claims the present: one UPDATE succeeds only when the
 * next free time has come, and moves it one interval (1000/rate ms) on; otherwise it returns how long to wait,
 * and the sender sleeps that long and tries again. The next free time moves on from the one just claimed
 * (so a claim a little late keeps the channel at its rate), but never from more than half an interval before now:
 * claim k after a first one is at least k - ½ intervals later, whichever instance makes it, so no one-second
 * window holds more than the rate plus one (and what the network's jitter between a claim and its send adds). A
 * sender woken late (a busy machine) claims at the time it really wakes: lateness lowers the rate and never bunches
 * sends up. (An earlier version reserved future slots and gave up any slot it woke late for; on a loaded machine
 * every wake-up was late and sending all but stopped.)
 *
 * Within one instance the claims are taken in turn, so only one of its senders competes for the row at a time:
 * at most one UPDATE per instance per interval is refused.
 *
 * Times are the instances' clocks (`clock.now()`): on one host they agree; across hosts keep NTP on (a skew of d
 * ms lets two sends land up to d ms closer).
 */
export class SharedSendRate implements SendRate {
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly channel: string,
    private readonly ratePerSecond: number,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
  ) {}

  take(signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) return Promise.resolve();
    const mine = this.turn.then(() => this.claim(1000 / this.ratePerSecond, signal));
    this.turn = mine.catch(() => {});
    return mine;
  }

  private async claim(interval: number, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const wait = await this.claimNow(interval, this.clock.now());
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }

  /** Claims the present if the channel's next free time has come (0), else returns how long until it (ms). */
  private async claimNow(interval: number, at: Date): Promise<number> {
    const now = at.toISOString();
    const rows = await queryRows<{ claimed: boolean; wait_ms: number | string }>(
      this.db,
      sql`with claimed as (
            insert into send_rates as r (channel, next_at)
            values (${this.channel}, ${now}::timestamptz + ${interval} * interval '1 millisecond')
            on conflict (channel) do update set next_at =
                (case when r.next_at > ${now}::timestamptz + ${MAX_AHEAD_MS} * interval '1 millisecond'
                      then ${now}::timestamptz
                      else greatest(r.next_at, ${now}::timestamptz - ${interval / 2} * interval '1 millisecond') end)
                + ${interval} * interval '1 millisecond'
              where r.next_at <= ${now}::timestamptz
                 or r.next_at > ${now}::timestamptz + ${MAX_AHEAD_MS} * interval '1 millisecond'
            returning 0 as wait_ms)
          select true as claimed, wait_ms from claimed
          union all
          select false, extract(epoch from (next_at - ${now}::timestamptz)) * 1000 from send_rates
           where channel = ${this.channel} and not exists (select 1 from claimed)`,
    );
    if (rows[0]?.claimed) return 0;
    // Not claimed: whole ms and at least 1. The time read can be from before a concurrent claim that won the row
    // (the statement's snapshot), so it may already have passed: try again right away.
    return Math.max(1, Math.ceil(Number(rows[0]?.wait_ms ?? 1)));
  }
}
