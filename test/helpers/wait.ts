import type { ManualClock } from '../../src/core/clock.js';

/**
 * Polls `check` until it holds, failing after `timeoutMs` of real time (a bound, not a measurement). With a
 * clock, moves it `stepMs` between polls, so workers, retries and rate limits waiting on it make progress
 * without the test sleeping through them.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  o: { clock?: ManualClock; stepMs?: number; timeoutMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${o.what ?? 'condition'} not met within ${o.timeoutMs ?? 10_000} ms`);
    // One turn of the event loop for I/O (database sockets, fake servers), then time moves on.
    await new Promise((r) => setTimeout(r, o.clock ? 1 : 5));
    o.clock?.advance(o.stepMs ?? 100);
  }
}

/** Awaits `p` while moving `clock` in small steps: for a call that paces itself on the clock (an outbox round). */
export async function withClock<T>(p: Promise<T>, clock: ManualClock, stepMs = 10): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await until(() => settled, { clock, stepMs });
  return p;
}
