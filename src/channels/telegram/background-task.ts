import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock } from '../../core/clock.js';
import { scrub } from '../../core/dialog.js';
import type { Worker } from '../../core/module.js';

/** A worker that runs `task` in the background from start until stop (which aborts it and waits). */
export function backgroundTask(name: string, task: (signal: AbortSignal) => Promise<void>): Worker {
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;
  return {
    name,
    start() {
      controller = new AbortController();
      running = task(controller.signal).catch(() => undefined);
    },
    async stop() {
      controller?.abort();
      await running;
    },
  };
}

/** Run `fn` until it succeeds or `signal` aborts, backing off from 1 s to 30 s on `clock`. */
export async function retrying(
  signal: AbortSignal,
  log: FastifyBaseLogger,
  what: string,
  fn: () => Promise<void>,
  clock: Clock = systemClock,
): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      await fn();
      return;
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err: scrub(err) }, `${what} failed, retrying in ${delay} ms`);
      await clock.sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}
