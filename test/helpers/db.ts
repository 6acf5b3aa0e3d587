import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';

export interface TestDatabase extends Database {
  /** the URL of this test's own database (PostgreSQL only) */
  url?: string;
  /** close and drop */
  destroy(): Promise<void>;
}

/** Which backend the suite runs on: real PostgreSQL when TEST_DATABASE_URL is set, PGlite otherwise. */
export const testBackend: 'postgres' | 'pglite' = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/**
 * A fresh, migrated database for one test file: its own PostgreSQL database (created and dropped) when
 * TEST_DATABASE_URL is set, otherwise an in-memory PGlite.
 */
export async function createTestDatabase(opts: { migrate?: boolean; maxConnections?: number } = {}): Promise<TestDatabase> {
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) {
    const database = openDatabase({ dataDir: 'memory://' });
    if (opts.migrate !== false) await runMigrations(database);
    return { ...database, destroy: () => database.close() };
  }
  const name = `khaibao_t_${randomBytes(6).toString('hex')}`;
  const adminClient = postgres(admin, { max: 1, onnotice: () => {} });
  await adminClient.unsafe(`create database ${name}`);
  await adminClient.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const database = openDatabase({ databaseUrl: url.toString(), maxConnections: opts.maxConnections ?? 5 });
  if (opts.migrate !== false) await runMigrations(database, url.toString());
  return {
    ...database,
    url: url.toString(),
    destroy: async () => {
      await database.close();
      const c = postgres(admin, { max: 1, onnotice: () => {} });
      await c.unsafe(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
