/** A pending timer; cancel() is safe to call more than once and after it fired. */
export interface Timer {
  cancel(): void;
}

/**
 * Injected everywhere time matters, so tests control it: the calendar (`now`), and every wait — worker intervals,
 * retries, back-off, rate limits and per-chat spacing — so tests advance a ManualClock instead of sleeping.
 */
export interface Clock {
  now(): Date;
  /** Milliseconds on a clock that never goes back, for spacing and rate limits. */
  monotonic(): number;
  /** Calls `fn` once after `ms`. */
  timeout(fn: () => void, ms: number): Timer;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. Shared by both clocks. */
function sleepOn(clock: Pick<Clock, 'timeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.timeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  timeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock tests move by hand. Its timers fire only when `advance`/`set` move time past them, in due order, with
 * `now()` reading each timer's due time while it runs. A timer armed by code that ran after an awaited step (a
 * worker's next round) is armed after `advance` returned: drive such loops with `advance` in steps while waiting
 * for a condition (test/helpers/wait.ts), not with one big jump.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];
  constructor(start: Date | string = '2021-08-01T08:00:00+07:00') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  monotonic(): number {
    return this.t;
  }
  timeout(fn: () => void, ms: number): Timer {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    if (ms <= 0) {
      // Due now: run on the next turn like a zero timer, without needing an advance.
      queueMicrotask(() => this.fire(p));
    }
    this.pending.push(p);
    return { cancel: () => this.remove(p) };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
  set(at: Date | string): void {
    const target = new Date(at).getTime();
    if (target >= this.t) this.advance(target - this.t);
    else this.t = target; // going back fires nothing
  }
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const next = this.nextDue();
      if (!next || next.at > target) break;
      this.t = Math.max(this.t, next.at);
      this.fire(next);
    }
    this.t = target;
  }
  advanceMinutes(m: number): void {
    this.advance(m * 60_000);
  }
  /** Timers waiting (for tests that check a loop is parked, or stopped). */
  get pendingTimers(): number {
    return this.pending.length;
  }
  /** Ms until the earliest timer, or undefined when none is armed. */
  nextTimerIn(): number | undefined {
    const next = this.nextDue();
    return next ? Math.max(0, next.at - this.t) : undefined;
  }
  private nextDue(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending) if (!best || p.at < best.at || (p.at === best.at && p.seq < best.seq)) best = p;
    return best;
  }
  private fire(p: Pending): void {
    if (!this.remove(p)) return;
    p.fn();
  }
  private remove(p: Pending): boolean {
    const i = this.pending.indexOf(p);
    if (i < 0) return false;
    this.pending.splice(i, 1);
    return true;
  }
}
