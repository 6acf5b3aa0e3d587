import type { FastifyBaseLogger } from 'fastify';
import type postgres from 'postgres';
import { scrub } from '../core/dialog.js';
import type { Database } from '../db/client.js';

/** The advisory lock the leader holds: (LEADER_LOCK_CLASS, LEADER_LOCK_ID), any constants. */
const LEADER_LOCK_CLASS = 7_209_113;
const LEADER_LOCK_ID = 18;

export interface LeaderOptions {
  database: Database;
  log: FastifyBaseLogger;
  /** how often a follower tries the lock and the leader checks it still holds it (real time) */
  checkMs?: number;
}

/**
 * Leader election among the instances on one database, for what must run once: Telegram polling and the
 * periodic jobs (scheduled broadcasts, progress, retention, batches). On PostgreSQL the leader holds a
 * session-level advisory lock on a connection of its own; a follower tries the lock every `checkMs`. When the
 * leader dies, its connection closes and PostgreSQL frees the lock, so a follower takes over within one check;
 * a leader whose connection fails (or whose lock is gone) steps down at its next check. PGlite is one process:
 * it always leads.
 *
 * Timing is real time (setTimeout), not the injected Clock: it is about connections, not the calendar, and tests
 * moving a ManualClock must not decide who leads.
 */
export class LeaderElection {
  private session?: postgres.Sql;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private running = false;
  private checking?: Promise<void>;
  private readonly listeners = new Set<(leading: boolean) => void>();
  private readonly checkMs: number;

  constructor(private readonly o: LeaderOptions) {
    this.checkMs = o.checkMs ?? 1000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Called with the new state whenever it changes (and at once with the current one). */
  onChange(fn: (leading: boolean) => void): () => void {
    this.listeners.add(fn);
    fn(this.leading);
    return () => this.listeners.delete(fn);
  }

  /** Tries once before returning, so a lone instance leads from its start. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.o.database.openSession) {
      this.set(true);
      return;
    }
    await this.check();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.checking;
    this.set(false);
    const session = this.session;
    this.session = undefined;
    // Closing the connection frees the lock at once for the next leader.
    await session?.end({ timeout: 2 }).catch(() => {});
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.checkMs);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.checking = (async () => {
      try {
        this.session ??= this.o.database.openSession!();
        const rows = this.leading
          ? // Still ours? (the session's connection may have been replaced, which frees the lock)
            await this.session`select exists(select 1 from pg_locks where locktype = 'advisory' and granted
                 and pid = pg_backend_pid() and classid = ${LEADER_LOCK_CLASS} and objid = ${LEADER_LOCK_ID}
                 and objsubid = 2) as held`
          : await this.session`select pg_try_advisory_lock(${LEADER_LOCK_CLASS}::int, ${LEADER_LOCK_ID}::int) as held`;
        if (!this.running) return;
        this.set(rows[0]?.held === true);
      } catch (err) {
        // The connection failed: whatever it held is gone. Step down and start over on a fresh connection.
        this.o.log.warn({ err: scrub(err) }, 'leader election check failed');
        this.set(false);
        const session = this.session;
        this.session = undefined;
        await session?.end({ timeout: 1 }).catch(() => {});
      }
    })();
    return this.checking;
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.o.log.info({ leading }, leading ? 'this instance leads' : 'this instance no longer leads');
    for (const fn of this.listeners) fn(leading);
  }
}
