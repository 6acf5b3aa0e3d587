import net from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { expectedMigrationCount, migrationsApplied, runMigrations } from '../../src/db/migrate.js';
import { createService } from '../../src/service.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/service.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  cleanup.push(() => db.destroy());
  return db;
}

describe(`migrations on ${testBackend}`, () => {
  it('apply from empty, and a second run is a no-op', async () => {
    const db = await fresh();
    expect(await migrationsApplied(db.db)).toBe(false);
    await runMigrations(db, db.url);
    expect(await migrationsApplied(db.db)).toBe(true);
    const tables = await queryRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
    );
    await runMigrations(db, db.url);
    const again = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(Number(again[0]!.n)).toBe(expectedMigrationCount());
    expect(Number(tables[0]!.n)).toBeGreaterThan(5);
  });

  it.runIf(testBackend === 'postgres')('two instances migrating at once apply each migration once', async () => {
    const db = await fresh();
    await Promise.all([runMigrations(db, db.url), runMigrations(db, db.url), runMigrations(db, db.url)]);
    const rows = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(Number(rows[0]!.n)).toBe(expectedMigrationCount());
  });

  it.runIf(testBackend === 'pglite')('PGlite keeps data in DATA_DIR across a reopen', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'khaibao-pglite-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const a = openDatabase({ dataDir: dir });
    await runMigrations(a);
    await a.db.execute(sql`insert into settings (key, value) values ('probe', '"kept"')`);
    await a.close();
    const b = openDatabase({ dataDir: dir });
    const rows = await queryRows<{ value: string }>(b.db, sql`select value from settings where key = 'probe'`);
    expect(rows[0]?.value).toBe('kept');
    await b.close();
  });
});

/**
 * A TCP proxy to the real PostgreSQL that can be switched off and on: the database "goes away" for the
 * service while the server itself keeps running.
 */
function switchableProxy(target: URL) {
  let up = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return {
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    setUp(v: boolean) {
      up = v;
      if (!v) for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.runIf(testBackend === 'postgres')('readiness while the database comes and goes', () => {
  it('/readyz is 503 until the database answers, 200 after, 503 when lost, and recovers', async () => {
    const target = await fresh();
    const proxy = switchableProxy(new URL(target.url!));
    const port = await proxy.listen();
    cleanup.push(() => proxy.close());
    const url = new URL(target.url!);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const config = loadConfig({ DATABASE_URL: url.toString(), ADMIN_TOKEN: 'x'.repeat(20) });
    const database = openDatabase({ databaseUrl: config.databaseUrl, maxConnections: 2 });
    const service = await createService(config, { database, logger: testLogger(), workers: false });
    cleanup.push(() => service.stop());

    const ready = () => service.app.inject({ method: 'GET', url: '/readyz' });
    expect((await ready()).statusCode).toBe(503);
    expect((await service.app.inject({ method: 'GET', url: '/.well-known/khaibao/pass-keys.json' })).statusCode).toBe(503);
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    proxy.setUp(true);
    await service.ready; // connects with backoff, migrates
    expect((await ready()).statusCode).toBe(200);

    proxy.setUp(false);
    const down = await service.app.inject({ method: 'GET', url: '/.well-known/khaibao/pass-keys.json' });
    expect((await ready()).statusCode).toBe(503);
    expect(down.statusCode).toBe(200); // keys are in memory: no database needed

    proxy.setUp(true);
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await ready()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  }, 60_000);
});
