import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
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

  constructor(
    private readonly log: FastifyBaseLogger,
    /** times the `every` jobs: tests advance a ManualClock to run them */
    private readonly clock: Clock = systemClock,
  ) {}

  add(worker: Worker): void {
    this.workers.push(worker);
    if (this.started) void worker.start();
  }

  /** A job run every `intervalMs` on the clock (first run after one interval); runs never overlap within this process. */
  every(name: string, intervalMs: number, run: () => Promise<unknown>): void {
    let timer: Timer | undefined;
    let running: Promise<unknown> | undefined;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      running = run().catch((err) => this.log.error({ err: scrub(err), job: name }, 'job failed'));
      await running;
      running = undefined;
      if (!stopped) timer = this.clock.timeout(() => void tick(), intervalMs);
    };
    this.add({
      name,
      start: () => {
        stopped = false;
        timer = this.clock.timeout(() => void tick(), intervalMs);
      },
      stop: async () => {
        stopped = true;
        timer?.cancel();
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
      this.workers.map((w) =>
        w.stop().catch((err) => this.log.error({ err: scrub(err), worker: w.name }, 'worker stop failed')),
      ),
    );
  }
}
