import { systemClock, type Clock } from '../core/clock.js';

/**
 * Spaces calls `1000 / ratePerSecond` ms apart on the clock's monotonic time (platform limits are in real time:
 * in production the clock is the system's; tests move a ManualClock). `take()` resolves when the caller may
 * send; callers queue in arrival order.
 */
export class RateLimiter {
  private next = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: Pick<Clock, 'monotonic' | 'sleep'> = systemClock,
  ) {}

  /** Resolves at the caller's slot, or at once when `signal` aborts (the slot is spent either way). */
  async take(signal?: AbortSignal): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) return;
    const interval = 1000 / this.ratePerSecond;
    const t = this.clock.monotonic();
    const slot = Math.max(t, this.next);
    this.next = slot + interval;
    if (slot > t) await this.clock.sleep(slot - t, signal);
  }
}
