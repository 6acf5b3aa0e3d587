import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ExtractTablesWithRelations, SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** The database handle every store takes. Works over PGlite and postgres.js alike. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Stores take `DbOrTx` so one function serves inside and outside a transaction. */
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** A short label for logs: never the connection string. */
  label: string;
  close(): Promise<void>;
  /**
   * For how long the database has not been answering, in ms: the longest a request to it has waited so far,
   * or the time since connections started failing when none has worked since (0 when all is well).
   * PostgreSQL only; the HTTP layer answers 503 when this says the database has stopped answering.
   */
  stalledMs?(): number;
  /**
   * PostgreSQL only: LISTEN on `channel` (postgres.js holds one extra connection for it and listens again after a
   * reconnect). Resolves once listening; the result stops it. PGlite is one process: in-process wake-ups suffice.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** PostgreSQL only: NOTIFY `channel`, reaching every instance listening on this database. */
  notify?(channel: string): Promise<void>;
  /**
   * PostgreSQL only: a client of exactly one connection of its own, for what lives as long as a session
   * (session-level advisory locks). The caller closes it.
   */
  openSession?(): postgres.Sql;
}

/** The server cancels any statement running longer than this (PostgreSQL `statement_timeout`). */
export const STATEMENT_TIMEOUT_MS = 5_000;
/** A new connection that has not finished its handshake after this many seconds fails (CONNECT_TIMEOUT). */
export const CONNECT_TIMEOUT_S = 3;
/**
 * A connection whose request has had no byte back for the statement timeout plus this is destroyed: the
 * server would have answered (at worst with a statement-timeout error) by then, so it is gone or
 * black-holed, and postgres.js would otherwise wait on it for ever, holding a pool slot even after the
 * database returns.
 */
const SILENCE_GRACE_MS = 1_500;

export interface OpenOptions {
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' for an in-memory database */
  dataDir?: string;
  /** postgres.js pool size */
  maxConnections?: number;
  /** server-side statement timeout; 0 turns it off (bulk benchmark loads) */
  statementTimeoutMs?: number;
  /** PGlite: start from this data directory tarball (a migrated template, in tests) instead of an empty cluster */
  loadDataDir?: Blob;
  /** PGlite: use this running instance (tests reuse theirs) instead of opening one */
  pglite?: PGlite;
}

/**
 * Open the database: PostgreSQL when `databaseUrl` is given, else PGlite in `dataDir`. PGlite (its WASM build and
 * drizzle's driver for it) is imported only then: an instance on PostgreSQL never loads it (memory, start-up time).
 */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const statementTimeout = opts.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
    const watch = new ConnectionWatch((statementTimeout > 0 ? statementTimeout : 60_000) + SILENCE_GRACE_MS);
    const options = {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      connect_timeout: CONNECT_TIMEOUT_S,
      idle_timeout: 60,
      // postgres.js's default backs off up to 20 s between reconnects after errors; past an outage that is
      // how long the instance would stay unusable with the database back
      backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 1),
      connection: {
        statement_timeout: statementTimeout,
        // a transaction left open (a request that died half-way) must not hold its locks for ever
        idle_in_transaction_session_timeout: 30_000,
      },
      // in postgres.js (README "Custom socket") but not in its type definitions
      socket: (o: { host: string[]; port: number[]; path?: string | false }) => watch.open(o),
    };
    const client = postgres(opts.databaseUrl, options as postgres.Options<Record<string, postgres.PostgresType>>);
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    const u = new URL(opts.databaseUrl);
    return {
      db,
      kind: 'postgres',
      label: `postgres ${u.hostname}:${u.port || 5432}${u.pathname}`,
      close: async () => {
        // end() waits for queries in flight; one stuck on a black-holed socket would make it wait the timeout
        watch.destroyStalled(1_000);
        await client.end({ timeout: 5 });
        watch.stop();
      },
      stalledMs: () => watch.stalledMs(),
      listen: async (channel, onNotify) => {
        const sub = await client.listen(channel, () => onNotify());
        return () => sub.unlisten();
      },
      notify: async (channel) => {
        await client.notify(channel, '');
      },
      openSession: () =>
        postgres(opts.databaseUrl!, {
          ...options,
          max: 1,
          // the session holds locks while idle: only an explicit close ends it
          idle_timeout: 0,
          max_lifetime: null,
          socket: undefined,
        } as postgres.Options<Record<string, postgres.PostgresType>>),
    };
  }
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  const dir = opts.dataDir ?? './data';
  const inMemory = dir.startsWith('memory://');
  const pgDir = inMemory ? dir : path.resolve(dir, 'pglite');
  let pg: PGlite;
  if (opts.pglite) {
    pg = opts.pglite;
  } else {
    if (!inMemory) mkdirSync(pgDir, { recursive: true });
    pg = new PGlite(pgDir, {
      ...pgliteOptions(PGlite.defaultStartParams),
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
  }
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    label: inMemory ? 'pglite (memory)' : `pglite ${pgDir}`,
    close: async () => {
      if (pg.closed) return;
      // PGlite 0.4 never finishes closing while a query or a transaction is in flight (start-up's first query,
      // abandoned by a stop): let them end first. Nothing starts new work once close is called.
      await pg.transaction(async () => {}).catch(() => {});
      await pg.runExclusive(async () => {}).catch(() => {});
      if (!pg.closed) await pg.close();
    },
  };
}

/**
 * How PGlite opens its cluster, in the service and in tests alike:
 * - the database `template1`, where PGlite 0.3 kept every table (0.4 would open `postgres`, and a data directory
 *   from an earlier install would look empty);
 * - PGlite's PostgreSQL settings with a 32 MB buffer cache in place of PostgreSQL's 128 MB. PGlite keeps shared
 *   memory inside its WebAssembly heap, which never shrinks, and the cache fills as tables are read: with 128 MB the
 *   service stood at 311 MiB RSS after 10,000 updates, with 32 MB at 216 MiB, at the same rate
 *   (scripts/bench/memory.ts). The files stay in the OS page cache behind it, as on any PostgreSQL.
 */
export function pgliteOptions(defaultStartParams: readonly string[]): { database: string; startParams: string[] } {
  return { database: 'template1', startParams: [...defaultStartParams, '-c', 'shared_buffers=32MB'] };
}

/** Rows of a raw query, whichever driver ran it (postgres.js returns an array, PGlite `{rows}`). */
export async function queryRows<T extends Record<string, unknown>>(
  db: DbOrTx,
  query: SQLWrapper | string,
): Promise<T[]> {
  const result = (await db.execute(query as SQLWrapper)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * The sockets of one postgres.js pool, opened here (postgres.js's `socket` option) so that a connection
 * waiting on a database that accepts bytes but never answers (a black hole: a hung server, a half-dead
 * proxy) is noticed and destroyed. postgres.js then fails the queries on it with CONNECTION_CLOSED (503 to
 * the caller) and opens a fresh connection for the next query, so the pool heals once the database answers.
 * A request is "waiting" from its first byte written until the next byte read. Over TLS postgres.js moves
 * the traffic onto its own TLS socket after the handshake, so only the handshake is watched there.
 */
class ConnectionWatch {
  private readonly waiting = new Map<net.Socket, { since: number | null }>();
  private readonly timer: NodeJS.Timeout;
  /** when connections started failing (closed in error or unanswered) with no answer since; null when fine */
  private failingSince: number | null = null;

  constructor(private readonly silenceLimitMs: number) {
    this.timer = setInterval(() => this.destroyStalled(this.silenceLimitMs), 500);
    this.timer.unref();
  }

  open(o: { host: string[]; port: number[]; path?: string | false }): net.Socket {
    const socket = o.path ? net.connect(o.path) : net.connect(o.port[0] ?? 5432, o.host[0] ?? 'localhost');
    const state = { since: null as number | null };
    this.waiting.set(socket, state);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      state.since ??= Date.now();
      return write(...args);
    }) as typeof socket.write;
    socket.on('data', () => {
      state.since = null;
      this.failingSince = null;
    });
    socket.on('close', (hadError) => {
      this.waiting.delete(socket);
      if (hadError || state.since !== null) this.failingSince ??= Date.now();
    });
    return socket;
  }

  stalledMs(): number {
    const now = Date.now();
    let longest = this.failingSince === null ? 0 : now - this.failingSince;
    for (const s of this.waiting.values()) if (s.since !== null) longest = Math.max(longest, now - s.since);
    return longest;
  }

  destroyStalled(limitMs: number): void {
    const now = Date.now();
    for (const [socket, s] of this.waiting) if (s.since !== null && now - s.since >= limitMs) socket.destroy();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
