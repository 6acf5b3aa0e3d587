import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { openDatabase, pgliteOptions, type Database } from '../../src/db/client.js';
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
 * A fresh, migrated database for one test file: a PostgreSQL database of its own when TEST_DATABASE_URL is set,
 * otherwise an in-memory PGlite. `migrate: false` gives an empty one.
 *
 * Migrated databases are reused within a worker. A worker runs its files one after another (isolate: false), and
 * a database a file has destroyed goes back to the worker's idle list; the next request empties it (sessions ended,
 * every table's rows deleted, sequences restarted) instead of opening another. Opening costs 1–2 s for a PGlite
 * (WASM start, template load) and 0.3–0.5 s for a PostgreSQL clone and its drop; emptying costs tens of ms.
 * What a caller gets is the same either way: the template's schema and no rows. A database whose schema a test
 * changed is dropped, not reused (its fingerprint no longer matches the template's).
 */
export async function createTestDatabase(
  opts: { migrate?: boolean; maxConnections?: number } = {},
): Promise<TestDatabase> {
  const migrate = opts.migrate !== false;
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) {
    const template = migrate ? pgliteTemplateBlob() : undefined;
    if (!template) {
      const database = await openDatabase({ dataDir: 'memory://' });
      if (migrate) await runMigrations(database);
      return { ...database, destroy: () => database.close() };
    }
    let pg = await reusedPglite();
    if (!pg) {
      pg = new PGlite('memory://', {
        loadDataDir: template,
        ...pgliteOptions(PGlite.defaultStartParams),
      });
      const fresh = pg;
      templateFingerprint ??= await fingerprint(async (q) => (await fresh.query<Record<string, unknown>>(q)).rows);
    }
    return leasePglite(pg);
  }
  const template = migrate ? process.env[TEMPLATE_ENV.postgres] : undefined;
  if (!template) {
    const name = testDatabaseName();
    await createPostgresDatabase(admin, name);
    const url = databaseUrl(admin, name);
    const database = await openDatabase({ databaseUrl: url, maxConnections: opts.maxConnections ?? 5 });
    if (migrate) await runMigrations(database, url);
    return {
      ...database,
      url,
      destroy: async () => {
        await database.close();
        await dropPostgresDatabase(admin, name);
      },
    };
  }
  let name = await reusedPostgres(admin);
  if (!name) {
    name = testDatabaseName();
    await createPostgresDatabase(admin, name, template);
    // Test databases need no durability across a crash of the server: commits return without waiting for the disk.
    await adminQuery(admin, `alter database ${name} set synchronous_commit = off`);
    if (!templateFingerprint) {
      const c = postgres(databaseUrl(admin, name), { max: 1, onnotice: () => {} });
      templateFingerprint = await fingerprint((q) => c.unsafe(q)).finally(() => c.end());
    }
  }
  return leasePostgres(admin, name, opts.maxConnections ?? 5);
}

/** The idle databases of this worker, ready to be emptied and handed out again (a few; more are closed). */
const idle = { pglite: [] as PGlite[], postgres: [] as string[] };
const MAX_IDLE = 3;
/** The template's schema fingerprint, taken from this worker's first database before any test had it. */
let templateFingerprint: string | undefined;

const FINGERPRINT = `select md5(coalesce(string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname, '') || ':'
    || coalesce(format_type(a.atttypid, a.atttypmod), ''), ',' order by c.relname, a.attnum), '')) as f
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where n.nspname = 'public'`;
/** One script that empties every table and restarts every sequence (foreign-key triggers off meanwhile). */
const EMPTYING = `select concat_ws('; ', 'set session_replication_role = replica',
    (select string_agg(format('delete from %I.%I', schemaname, tablename), '; ') from pg_tables where schemaname = 'public'),
    (select string_agg(format('alter sequence %I.%I restart', schemaname, sequencename), '; ')
       from pg_sequences where schemaname = 'public'),
    'set session_replication_role = default') as script`;

type Run = (query: string) => Promise<Record<string, unknown>[]>;

async function fingerprint(run: Run): Promise<string> {
  return String((await run(FINGERPRINT))[0]?.f);
}

/**
 * Empties a database for its next file. DELETE, not TRUNCATE: on tables of a few rows it is several times faster
 * (TRUNCATE makes new files for every table and index). False: the schema changed, do not reuse it.
 */
async function emptied(run: Run, script: (q: string) => Promise<unknown>): Promise<boolean> {
  if ((await fingerprint(run)) !== templateFingerprint) return false;
  await script(String((await run(EMPTYING))[0]?.script));
  return true;
}

async function reusedPglite(): Promise<PGlite | undefined> {
  for (let pg = idle.pglite.pop(); pg; pg = idle.pglite.pop()) {
    try {
      // A file that stopped mid-transaction left it open; its LISTENs and advisory locks end too. (Not DISCARD
      // ALL: in PGlite it also resets search_path to pg_catalog.)
      await pg.exec('rollback');
      await pg.exec('unlisten *');
      await pg.query('select pg_advisory_unlock_all()');
      const run: Run = async (q) => (await pg.query<Record<string, unknown>>(q)).rows;
      if (await emptied(run, (q) => pg.exec(q))) return pg;
    } catch {
      // not reusable (closed by the test, or broken): dropped below
    }
    await pg.close().catch(() => {});
  }
  return undefined;
}

/**
 * A lease on a PGlite. Closing it (a service's stop does) ends the lease's use of it: using it after that throws,
 * as a closed PGlite does. Destroying it returns the instance to the worker's idle list.
 */
async function leasePglite(pg: PGlite): Promise<TestDatabase> {
  let closed = false;
  let released = false;
  const guarded = new Proxy(pg, {
    get(target, key) {
      if (closed) throw new Error('test database used after it was closed');
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const release = async () => {
    closed = true;
    if (released) return;
    released = true;
    if (pg.closed) return;
    // a PGlite holds ~100 MB of WASM memory: a worker keeps only a few
    if (idle.pglite.length < MAX_IDLE) idle.pglite.push(pg);
    else await pg.close();
  };
  const database = await openDatabase({ dataDir: 'memory://', pglite: guarded });
  return {
    ...database,
    close: async () => {
      closed = true;
    },
    destroy: release,
  };
}

async function reusedPostgres(admin: string): Promise<string | undefined> {
  for (let name = idle.postgres.pop(); name; name = idle.postgres.pop()) {
    const url = databaseUrl(admin, name);
    const c = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // Connections the last file left (a killed child process, a session holding an advisory lock) end here.
      await c.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity
                        where datname = current_database() and pid <> pg_backend_pid()`);
      await c.unsafe(`set lock_timeout = '5s'`);
      if (
        await emptied(
          (q) => c.unsafe(q),
          (q) => c.unsafe(q).simple(),
        )
      )
        return name;
    } catch {
      // not reusable: dropped below
    } finally {
      await c.end();
    }
    await dropPostgresDatabase(admin, name);
  }
  return undefined;
}

/**
 * A lease on a PostgreSQL database: closing it closes its pool (the test may still connect to its URL, as restart
 * tests do); destroying it returns the database to the worker's idle list.
 */
async function leasePostgres(admin: string, name: string, maxConnections: number): Promise<TestDatabase> {
  const url = databaseUrl(admin, name);
  const database = await openDatabase({ databaseUrl: url, maxConnections });
  let released = false;
  const release = async () => {
    await database.close();
    if (released) return;
    released = true;
    if (idle.postgres.length < MAX_IDLE) idle.postgres.push(name);
    else await dropPostgresDatabase(admin, name);
  };
  return { ...database, url, destroy: release };
}

/** Test databases of this run share a prefix, so the global teardown drops every one a worker kept. */
export const TEST_RUN_ENV = 'KHAIBAO_TEST_RUN';
function testDatabaseName(): string {
  return `khaibao_t_${process.env[TEST_RUN_ENV] ?? 'x'}_${randomBytes(6).toString('hex')}`;
}

/** Drops every database of one test run (those workers kept for reuse). */
export async function dropRunDatabases(admin: string, run: string): Promise<void> {
  const c = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    const rows = await c<
      { datname: string }[]
    >`select datname from pg_database where datname like ${`khaibao_t_${run}_%`}`;
    for (const { datname } of rows) await c.unsafe(`drop database if exists ${datname} with (force)`);
  } finally {
    await c.end();
  }
}

function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(admin: string, query: string): Promise<void> {
  const c = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await c.unsafe(query);
  } finally {
    await c.end();
  }
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
