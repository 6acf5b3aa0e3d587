import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ExtractTablesWithRelations, SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
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
}

export interface OpenOptions {
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' for an in-memory database */
  dataDir?: string;
  /** postgres.js pool size */
  maxConnections?: number;
}

export function openDatabase(opts: OpenOptions): Database {
  if (opts.databaseUrl) {
    const client = postgres(opts.databaseUrl, {
      max: opts.maxConnections ?? 10,
      onnotice: () => {},
      connect_timeout: 5,
      idle_timeout: 60,
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    const u = new URL(opts.databaseUrl);
    return {
      db,
      kind: 'postgres',
      label: `postgres ${u.hostname}:${u.port || 5432}${u.pathname}`,
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dir = opts.dataDir ?? './data';
  let pg: PGlite;
  if (dir.startsWith('memory://')) {
    pg = new PGlite(dir);
  } else {
    const pgDir = path.resolve(dir, 'pglite');
    mkdirSync(pgDir, { recursive: true });
    pg = new PGlite(pgDir);
  }
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    label: dir.startsWith('memory://') ? 'pglite (memory)' : `pglite ${path.resolve(dir, 'pglite')}`,
    close: async () => {
      if (!pg.closed) await pg.close();
    },
  };
}

/** Rows of a raw query, whichever driver ran it (postgres.js returns an array, PGlite `{rows}`). */
export async function queryRows<T extends Record<string, unknown>>(db: DbOrTx, query: SQLWrapper | string): Promise<T[]> {
  const result = (await db.execute(query as SQLWrapper)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
