import { sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.js';
import { queryRows, type Db } from '../db/client.js';

/** A channel's send rate: `take()` resolves when the caller may send one message. */
export interface SendRate {
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A slot further ahead than this is not from this clock's present (a test's clock years away, a clock set
 * back): the schedule restarts from now rather than waiting for it.
 */
const MAX_AHEAD_MS = 120_000;

/**
 * One channel's rate shared by every instance on the database (table send_rates). Why a token bucket row rather
 * than leases that split the rate: a lease gives each instance a fixed share, so an instance with nothing to send
 * wastes its share and a new or dead instance needs a rebalance; the bucket lets whoever has work take the next
 * slot, costs one single-row UPDATE per message (25 a second for Telegram), and needs no knowledge of how many
 * instances run. The bucket has a depth of one (no burst), kept as its next free slot: each `take` moves the slot
 * one interval on and sleeps until the slot it got, so messages from all instances leave 1000/rate ms apart and no
 * one-second window holds more than the rate (plus one at its edges). A sender that wakes more than half an
 * interval after its slot gives it up and takes another, so late sends never bunch up with timely ones.
 *
 * Slots are on the instances' clocks (`clock.now()`): on one host they agree; across hosts keep NTP on (a skew of d
 * ms lets two slots land up to d ms closer).
 */
export class SharedSendRate implements SendRate {
  constructor(
    private readonly db: Db,
    private readonly channel: string,
    private readonly ratePerSecond: number,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    /** give up late slots (real time only: a test moving a ManualClock in steps wakes every sender "late") */
    private readonly retakeLate = true,
  ) {}

  async take(signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) return;
    const interval = 1000 / this.ratePerSecond;
    for (;;) {
      const now = this.clock.now().getTime();
      const wait = await this.reserve(interval, new Date(now));
      if (wait > 0) await this.clock.sleep(wait, signal);
      // Woken late (a busy event loop, a pause): sending now would crowd the slots after this one, which other
      // instances send in on time. The slot is lost; take a new one. Sends within [slot, slot + interval / 2] put
      // at most rate + 1 in any second; the half interval left is margin for the network's jitter.
      if (!this.retakeLate || signal?.aborted || this.clock.now().getTime() - (now + wait) <= interval / 2) return;
    }
  }

  /** Takes the next slot; returns how long until it (ms). */
  private async reserve(interval: number, at: Date): Promise<number> {
    const now = at.toISOString();
    const rows = await queryRows<{ wait_ms: number | string }>(
      this.db,
      sql`insert into send_rates as r (channel, next_at)
          values (${this.channel}, ${now}::timestamptz + ${interval} * interval '1 millisecond')
          on conflict (channel) do update set next_at =
            (case when r.next_at < ${now}::timestamptz
                    or r.next_at > ${now}::timestamptz + ${MAX_AHEAD_MS} * interval '1 millisecond'
                  then ${now}::timestamptz else r.next_at end)
            + ${interval} * interval '1 millisecond'
          returning extract(epoch from (r.next_at - ${now}::timestamptz)) * 1000 - ${interval} as wait_ms`,
    );
    // Whole ms: the database keeps microseconds, so an interval like 1000/1.6 comes back a hair above zero.
    return Math.max(0, Math.round(Number(rows[0]?.wait_ms ?? 0)));
  }
}
