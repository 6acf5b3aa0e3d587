import { readFileSync } from 'node:fs';
import path from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { expectedMigrationCount, MIGRATIONS_DIR, migrationsApplied, runMigrations } from '../../src/db/migrate.js';
import { accounts, persons } from '../../src/db/schema/index.js';
import { createService } from '../../src/service.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/service.js';
import { faultyProxy } from '../helpers/tcp-proxy.js';
import { postUpdate, startFakeTelegram, tgUpdates, tgUser, webhookEnv } from '../helpers/fake-telegram.js';
import { until } from '../helpers/wait.js';

const SECRET = 'webhook-secret_0123456789';

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
    const again = await queryRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(Number(again[0]!.n)).toBe(expectedMigrationCount());
    expect(Number(tables[0]!.n)).toBeGreaterThan(5);
  });

  it.runIf(testBackend === 'postgres')('two instances migrating at once apply each migration once', async () => {
    const db = await fresh();
    await Promise.all([runMigrations(db, db.url), runMigrations(db, db.url), runMigrations(db, db.url)]);
    const rows = await queryRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(Number(rows[0]!.n)).toBe(expectedMigrationCount());
  });

  it('keeps one own person per account: a second is refused, and 0014 made earlier ones family members', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.destroy());
    const [a, b] = await db.db
      .insert(accounts)
      .values([
        { channel: 'web', externalId: 'one-self-a' },
        { channel: 'web', externalId: 'one-self-b' },
      ])
      .returning();
    const person = (owner: string | null, fullName: string, createdAt: string, isSelf = true) => ({
      ownerAccountId: owner,
      isSelf,
      fullName,
      birthYear: 1980,
      gender: 'other',
      createdAt: new Date(createdAt),
    });
    /** the error code an insert of these persons fails with (23505: a unique index refused it) */
    const refusal = (...rows: ReturnType<typeof person>[]) =>
      db.db
        .insert(persons)
        .values(rows)
        .then(
          () => undefined,
          (err: { code?: string; cause?: { code?: string } }) => err.cause?.code ?? err.code,
        );
    await db.db.insert(persons).values(person(a!.id, 'Lê Văn Một', '2021-08-01T08:00:00Z'));
    expect(await refusal(person(a!.id, 'Lê Văn Hai', '2021-08-02T08:00:00Z'))).toBe('23505');
    // Family members are not limited, nor persons of no account (declared at a venue's door, held after deletion).
    expect(
      await refusal(
        person(a!.id, 'Lê Thị Ba', '2021-08-02T08:00:00Z', false),
        person(a!.id, 'Lê Thị Bốn', '2021-08-02T08:00:00Z', false),
        person(null, 'Võ Văn Bảy', '2021-08-02T08:00:00Z'),
        person(null, 'Võ Thị Tám', '2021-08-02T08:00:00Z'),
      ),
    ).toBeUndefined();

    // As before 0014: the index gone, a second own person for a, made after the first.
    await db.db.execute(sql`drop index persons_one_self_idx`);
    await db.db
      .insert(persons)
      .values([
        person(a!.id, 'Lê Văn Hai', '2021-08-02T08:00:00Z'),
        person(b!.id, 'Trần Thị Năm', '2021-08-03T08:00:00Z'),
      ]);
    const file = readFileSync(path.join(MIGRATIONS_DIR, '0014_one_self_person.sql'), 'utf8');
    for (const statement of file.split('--> statement-breakpoint')) await db.db.execute(sql.raw(statement));
    const rows = await db.db
      .select({ owner: persons.ownerAccountId, name: persons.fullName, self: persons.isSelf })
      .from(persons)
      .orderBy(asc(persons.createdAt), asc(persons.fullName));
    expect(rows.filter((r) => r.owner === a!.id)).toEqual([
      { owner: a!.id, name: 'Lê Văn Một', self: true },
      { owner: a!.id, name: 'Lê Thị Ba', self: false },
      { owner: a!.id, name: 'Lê Thị Bốn', self: false },
      { owner: a!.id, name: 'Lê Văn Hai', self: false },
    ]);
    expect(rows.filter((r) => r.owner === b!.id)).toEqual([{ owner: b!.id, name: 'Trần Thị Năm', self: true }]);
    expect(await refusal(person(b!.id, 'Trần Văn Sáu', '2021-08-04T08:00:00Z'))).toBe('23505');
    expect(await db.db.$count(persons, eq(persons.ownerAccountId, b!.id))).toBe(1);
  });

  it.runIf(testBackend === 'pglite')(
    'PGlite keeps data in DATA_DIR across a reopen, in template1 (where PGlite 0.3 kept it), with a 32 MB buffer cache',
    async () => {
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const path = await import('node:path');
      const dir = mkdtempSync(path.join(tmpdir(), 'khaibao-pglite-'));
      cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
      const a = await openDatabase({ dataDir: dir });
      await runMigrations(a);
      await a.db.execute(sql`insert into settings (key, value) values ('probe', '"kept"')`);
      await a.close();
      const b = await openDatabase({ dataDir: dir });
      const rows = await queryRows<{ value: string }>(b.db, sql`select value from settings where key = 'probe'`);
      expect(rows[0]?.value).toBe('kept');
      const [where] = await queryRows<{ db: string; buffers: string }>(
        b.db,
        sql`select current_database() as db, current_setting('shared_buffers') as buffers`,
      );
      expect(where).toEqual({ db: 'template1', buffers: '32MB' });
      await b.close();
    },
  );
});

describe.runIf(testBackend === 'postgres')('readiness while the database comes and goes', () => {
  it('/readyz is 503 until the database answers, 200 after, 503 when lost, and recovers', async () => {
    const target = await fresh();
    const targetUrl = new URL(target.url!);
    const proxy = faultyProxy({ host: targetUrl.hostname, port: Number(targetUrl.port || 5432) }, 'down');
    const port = await proxy.listen();
    cleanup.push(() => proxy.close());
    const url = new URL(target.url!);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const config = loadConfig({ DATABASE_URL: url.toString(), ADMIN_TOKEN: 'x'.repeat(20) });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, maxConnections: 2 });
    const service = await createService(config, { database, logger: testLogger(), workers: false });
    cleanup.push(() => service.stop());

    const ready = () => service.app.inject({ method: 'GET', url: '/readyz' });
    expect((await ready()).statusCode).toBe(503);
    expect((await service.app.inject({ method: 'GET', url: '/.well-known/khaibao/pass-keys.json' })).statusCode).toBe(
      503,
    );
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    proxy.setMode('up');
    await service.ready; // connects with backoff, migrates
    expect((await ready()).statusCode).toBe(200);

    proxy.setMode('down');
    const down = await service.app.inject({ method: 'GET', url: '/.well-known/khaibao/pass-keys.json' });
    expect((await ready()).statusCode).toBe(503);
    expect(down.statusCode).toBe(200); // keys are in memory: no database needed

    proxy.setMode('up');
    let status = 0;
    await until(async () => (status = (await ready()).statusCode) === 200, { timeoutMs: 10_000 }).catch(() => {});
    expect(status).toBe(200);
  }, 60_000);
});

describe.runIf(testBackend === 'postgres')('a database that stops answering (black hole), then returns', () => {
  it('answers 503 within seconds, leaves Telegram updates for redelivery, recovers by itself, loses nothing', async () => {
    const target = await fresh();
    await runMigrations(target, target.url);
    const targetUrl = new URL(target.url!);
    const proxy = faultyProxy({ host: targetUrl.hostname, port: Number(targetUrl.port || 5432) });
    const url = new URL(target.url!);
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.listen());
    cleanup.push(() => proxy.close());
    const tg = await startFakeTelegram();
    cleanup.push(() => tg.close());
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      ADMIN_TOKEN: 'x'.repeat(20),
      ...webhookEnv(tg, SECRET),
    });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, maxConnections: 4 });
    const service = await createService(config, { database, logger: testLogger(), workers: false, migrate: false });
    cleanup.push(() => service.stop());
    await service.ready;

    let nextUser = 7_000_000;
    const send = async (update: ReturnType<typeof tgUpdates.text>) => {
      const t0 = Date.now();
      const res = await postUpdate(service.app, update, SECRET);
      return { status: res.statusCode, ms: Date.now() - t0, update };
    };
    const fresh_ = () => tgUpdates.text(tgUser(nextUser++), '/start');
    const ready = async () => (await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode;

    expect((await send(fresh_())).status).toBe(200);

    // Black hole: every request that needs the database gets 503 within a few seconds, none hangs.
    proxy.setMode('blackhole');
    const during = await Promise.all(Array.from({ length: 12 }, () => send(fresh_())));
    const r0 = Date.now();
    const readyDuring = await ready();
    const readyMs = Date.now() - r0;
    const slowest503 = Math.max(...during.map((r) => r.ms));
    expect(during.map((r) => r.status)).toEqual(during.map(() => 503));
    expect(slowest503).toBeLessThan(8_000);
    expect(readyDuring).toBe(503);
    const pending = during.map((r) => r.update);

    // The database answers again: the instance recovers without a restart.
    proxy.setMode('up');
    const back = Date.now();
    let recoveredMs = -1;
    while (Date.now() - back < 20_000) {
      if ((await ready()) === 200 && (await send(fresh_())).status === 200) {
        recoveredMs = Date.now() - back;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(recoveredMs).toBeGreaterThanOrEqual(0);

    // Telegram redelivers what got 503: each is processed now, none twice.
    for (const u of pending) {
      const r = await send(u);
      expect(r.status).toBe(200);
    }
    const ids = pending.map((u) => String(u.message.from.id));
    const rows = await queryRows<{ n: number }>(
      target.db,
      sql`select count(*)::int as n from accounts where channel = 'telegram' and external_id in ${ids}`,
    );
    expect(Number(rows[0]!.n)).toBe(pending.length);

    // Refused and dropped connections also give 503, then recovery.
    proxy.setMode('down');
    const refused = await send(fresh_());
    proxy.setMode('up');
    proxy.drop();
    const dropped = Date.now();
    let afterDrop = 0;
    for (let i = 0; i < 40 && afterDrop !== 200; i++) {
      afterDrop = (await send(fresh_())).status;
      if (afterDrop !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused.status).toBe(503);
    expect(afterDrop).toBe(200);
    const afterDropMs = Date.now() - dropped;

    console.log(
      `black hole: ${during.length} webhook updates all 503, slowest after ${slowest503} ms ` +
        `(fastest ${Math.min(...during.map((r) => r.ms))} ms), /readyz 503 in ${readyMs} ms; ` +
        `recovered ${recoveredMs} ms after the database answered again; ${pending.length} redelivered updates processed once; ` +
        `refused → 503 in ${refused.ms} ms, 200 again ${afterDropMs} ms after the database came back`,
    );
  }, 60_000);
});
