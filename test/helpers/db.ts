import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
 * Set by test/global-setup.ts: a migrated template made once per run (a PGlite data directory tarball, or a
 * PostgreSQL database name), so each test file clones it instead of applying every migration again. Without
 * them (a bench script, a single file run without the global setup) each database is migrated on its own.
 */
export const TEMPLATE_ENV = { pglite: 'KHAIBAO_TEST_PGLITE_TEMPLATE', postgres: 'KHAIBAO_TEST_PG_TEMPLATE' } as const;

let pgliteTemplate: Blob | undefined;
/** The migrated PGlite template of this run, if the global setup made one. */
export function pgliteTemplateBlob(): Blob | undefined {
  const file = process.env[TEMPLATE_ENV.pglite];
  if (!file) return undefined;
  pgliteTemplate ??= new Blob([readFileSync(file)]);
  return pgliteTemplate;
}

/**
 * A fresh, migrated database for one test file: its own PostgreSQL database (created and dropped) when
 * TEST_DATABASE_URL is set, otherwise an in-memory PGlite. `migrate: false` gives an empty one.
 */
export async function createTestDatabase(
  opts: { migrate?: boolean; maxConnections?: number } = {},
): Promise<TestDatabase> {
  const migrate = opts.migrate !== false;
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) {
    const template = migrate ? pgliteTemplateBlob() : undefined;
    const database = await openDatabase({ dataDir: 'memory://', loadDataDir: template });
    if (migrate && !template) await runMigrations(database);
    return { ...database, destroy: () => database.close() };
  }
  const template = migrate ? process.env[TEMPLATE_ENV.postgres] : undefined;
  const name = `khaibao_t_${randomBytes(6).toString('hex')}`;
  await createPostgresDatabase(admin, name, template);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: opts.maxConnections ?? 5 });
  if (migrate && !template) await runMigrations(database, url.toString());
  return {
    ...database,
    url: url.toString(),
    destroy: async () => {
      await database.close();
      await dropPostgresDatabase(admin, name);
    },
  };
}

/** `create database`, from `template` when given (retried while another session still holds the template). */
export async function createPostgresDatabase(admin: string, name: string, template?: string): Promise<void> {
  const c = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.unsafe(template ? `create database ${name} template ${template}` : `create database ${name}`);
        return;
      } catch (err) {
        // 55006: the template is being accessed by other users (another clone in the same instant).
        if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  } finally {
    await c.end();
  }
}

export async function dropPostgresDatabase(admin: string, name: string): Promise<void> {
  const c = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await c.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await c.end();
  }
}
