import type { FastifyBaseLogger } from 'fastify';
import { scrub } from '../../core/dialog.js';
import type { Worker } from '../../workers/worker-set.js';

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

/** Run `fn` until it succeeds or `signal` aborts, backing off from 1 s to 30 s. */
export async function retrying(signal: AbortSignal, log: FastifyBaseLogger, what: string, fn: () => Promise<void>): Promise<void> {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      await fn();
      return;
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err: scrub(err) }, `${what} failed, retrying in ${delay} ms`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
