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

/**
 * Awaits `p` (a call that paces itself on the clock: an outbox round) while moving `clock` `stepMs` at a time,
 * but only while a timer is armed on it: time stands still otherwise, so what the call reads from `now()` (a
 * retry_after, a lease) is exactly what it would be without the steps.
 */
export async function withClock<T>(p: Promise<T>, clock: ManualClock, stepMs = 10, timeoutMs = 10_000): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = Date.now() + timeoutMs;
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`not settled within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
    if (!settled && clock.nextTimerIn() !== undefined) clock.advance(stepMs);
  }
  return p;
}
