import type { FastifyBaseLogger } from 'fastify';
import { scrub } from '../core/dialog.js';
import type { Worker, Workers } from '../core/module.js';

export type { Worker } from '../core/module.js';

/**
 * Holds the background workers. Every job must be safe with several server instances running it at once
 * (claim rows with FOR UPDATE SKIP LOCKED, or take an advisory lock).
 */
export class WorkerSet implements Workers {
  private readonly workers: Worker[] = [];
  private started = false;

  constructor(private readonly log: FastifyBaseLogger) {}

  add(worker: Worker): void {
    this.workers.push(worker);
    if (this.started) void worker.start();
  }

  /** A job run every `intervalMs` (first run after one interval); runs never overlap within this process. */
  every(name: string, intervalMs: number, run: () => Promise<unknown>): void {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> | undefined;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      running = run().catch((err) => this.log.error({ err: scrub(err), job: name }, 'job failed'));
      await running;
      running = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    this.add({
      name,
      start: () => {
        stopped = false;
        timer = setTimeout(tick, intervalMs);
      },
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    });
  }

  get names(): string[] {
    return this.workers.map((w) => w.name);
  }

  async start(): Promise<void> {
    this.started = true;
    for (const w of this.workers) await w.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(
      this.workers.map((w) => w.stop().catch((err) => this.log.error({ err: scrub(err), worker: w.name }, 'worker stop failed'))),
    );
  }
}
