import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import { scrub } from '../core/dialog.js';
import type { Worker, Workers } from '../core/module.js';
import type { LeaderElection } from './leader.js';

export type { Worker } from '../core/module.js';

/**
 * Holds the background workers. Periodic jobs run on the leader only (src/workers/leader.ts); workers added with
 * `add` (the outbox) run on every instance and must be safe with several running at once (claim rows with FOR
 * UPDATE SKIP LOCKED under a lease). Jobs should still be safe if two instances briefly both lead.
 */
export class WorkerSet implements Workers {
  private readonly workers: Worker[] = [];
  private started = false;

  constructor(
    private readonly log: FastifyBaseLogger,
    /** times the `every` jobs: tests advance a ManualClock to run them */
    private readonly clock: Clock = systemClock,
    /** who leads; without one this instance always does */
    private readonly leader?: LeaderElection,
  ) {}

  private get leading(): boolean {
    return this.leader ? this.leader.isLeader : true;
  }

  add(worker: Worker): void {
    this.workers.push(worker);
    if (this.started) void worker.start();
  }

  /** A job run every `intervalMs` on the clock (first run after one interval); runs never overlap within this process. */
  every(name: string, intervalMs: number, run: () => Promise<unknown>, opts: { everyInstance?: boolean } = {}): void {
    let timer: Timer | undefined;
    let running: Promise<unknown> | undefined;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (opts.everyInstance || this.leading) {
        running = run().catch((err) => this.log.error({ err: scrub(err), job: name }, 'job failed'));
        await running;
      }
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

  whileLeader(name: string, task: (signal: AbortSignal) => Promise<void>): void {
    let controller: AbortController | undefined;
    let running: Promise<void> | undefined;
    let unsubscribe: (() => void) | undefined;
    let chain = Promise.resolve();
    const begin = () => {
      controller = new AbortController();
      running = task(controller.signal).catch((err) =>
        this.log.error({ err: scrub(err), worker: name }, 'leader task failed'),
      );
    };
    const end = async () => {
      controller?.abort();
      await running;
      controller = undefined;
      running = undefined;
    };
    this.add({
      name,
      start: () => {
        const onChange = (leading: boolean) => {
          // One change at a time: a task stops fully before it starts again.
          chain = chain.then(async () => {
            if (leading && !controller) begin();
            else if (!leading && controller) await end();
          });
        };
        unsubscribe = this.leader ? this.leader.onChange(onChange) : (onChange(true), undefined);
      },
      stop: async () => {
        unsubscribe?.();
        await chain;
        await end();
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
