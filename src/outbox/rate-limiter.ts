/**
 * Spaces calls `1000 / ratePerSecond` ms apart in real time (platform limits are in wall-clock time, whatever the
 * injected Clock says). `take()` resolves when the caller may send; callers queue in arrival order.
 */
export class RateLimiter {
  private next = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async take(): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond) || this.ratePerSecond <= 0) return;
    const interval = 1000 / this.ratePerSecond;
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + interval;
    if (slot > t) await sleep(slot - t);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
