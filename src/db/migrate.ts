import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import postgres from 'postgres';
import { PACKAGE_ROOT } from '../package-root.js';
import { queryRows, type Database, type DbOrTx } from './client.js';

export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'migrations');
/** Any constant: the advisory lock key that makes concurrent starts apply migrations one at a time. */
const MIGRATION_LOCK_KEY = 7_209_112_021;

/**
 * Apply committed migrations. Idempotent. On PostgreSQL it holds a session advisory lock on a dedicated
 * connection, so two instances starting at once apply them once, in order. A database that already has them all
 * (every start but the first after an upgrade) is told by two small queries on the pool: no extra connection, no
 * lock, no reading and hashing of the migration files.
 */
export async function runMigrations(database: Database, databaseUrl?: string): Promise<void> {
  if (await upToDate(database.db)) return;
  if (database.kind === 'pglite') {
    const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  if (!databaseUrl) throw new Error('runMigrations on postgres needs the database URL');
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}

let journal: { entries: { when: number }[] } | undefined;
/** migrations/meta/_journal.json, read once (it is part of the release). */
function readJournal(): { entries: { when: number }[] } {
  return (journal ??= JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  });
}

/** Number of migrations committed in migrations/meta/_journal.json. */
export function expectedMigrationCount(): number {
  return readJournal().entries.length;
}

/**
 * True when drizzle's migrator would apply nothing: it applies each committed migration whose `when` is later than
 * the `created_at` of the row it reads with this same query (the newest applied), so none is when that row is at
 * least the newest committed one.
 */
async function upToDate(db: DbOrTx): Promise<boolean> {
  const exists = await queryRows<{ t: string | null }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`,
  );
  if (!exists[0]?.t) return false;
  const last = await queryRows<{ created_at: number | string | null }>(
    db,
    sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
  );
  if (!last[0]) return false;
  const newest = Math.max(...readJournal().entries.map((e) => e.when));
  return Number(last[0].created_at) >= newest;
}

/** True when every committed migration has been applied. Throws when the database does not answer. */
export async function migrationsApplied(db: DbOrTx, expected = expectedMigrationCount()): Promise<boolean> {
  const exists = await queryRows<{ t: string | null }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`,
  );
  if (!exists[0]?.t) return false;
  const rows = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return Number(rows[0]?.n ?? 0) >= expected;
}
