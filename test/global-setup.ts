import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import {
  createPostgresDatabase,
  dropPostgresDatabase,
  dropRunDatabases,
  TEMPLATE_ENV,
  TEST_RUN_ENV,
} from './helpers/db.js';

/**
 * Migrates one template database per run; every test file clones it (test/helpers/db.ts). The workers are
 * forked after this runs, so they inherit the environment variables set here.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = process.env.TEST_DATABASE_URL;
  if (admin) {
    const name = `khaibao_tpl_${randomBytes(6).toString('hex')}`;
    await createPostgresDatabase(admin, name);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString(), maxConnections: 1 });
    await runMigrations(database, url.toString());
    await database.close();
    process.env[TEMPLATE_ENV.postgres] = name;
    const run = randomBytes(4).toString('hex');
    process.env[TEST_RUN_ENV] = run;
    return async () => {
      // the databases workers kept for reuse (test/helpers/db.ts), then the template
      await dropRunDatabases(admin, run);
      await dropPostgresDatabase(admin, name);
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'khaibao-template-'));
  const database = await openDatabase({ dataDir: 'memory://' });
  await runMigrations(database);
  const pg = (database.db as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } }).$client;
  const tarball = await pg.dumpDataDir('none');
  await database.close();
  const file = path.join(dir, 'pglite.tar');
  writeFileSync(file, Buffer.from(await tarball.arrayBuffer()));
  process.env[TEMPLATE_ENV.pglite] = file;
  return async () => rmSync(dir, { recursive: true, force: true });
}
