import { generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { settings } from '../../src/db/schema/index.js';
import type { FeatureModule } from '../../src/core/module.js';
import { createService } from '../../src/service.js';
import { createTestDatabase, testBackend } from '../helpers/db.js';
import { testLogger } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** A feature whose only part is a worker that counts its starts. */
function countingWorker(): { module: FeatureModule<unknown>; starts: () => number } {
  let starts = 0;
  return {
    module: { workers: (w) => w.add({ name: 'probe', start: () => void starts++, stop: async () => {} }) },
    starts: () => starts,
  };
}

/** How `ready` settled within `ms`, or 'pending' when it had not. */
async function settled(ready: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(
      () => 'resolved',
      (err: { code?: string }) => `rejected ${err.code ?? ''}`,
    ),
    new Promise<string>((r) => (timer = setTimeout(() => r('pending'), ms))),
  ]);
  clearTimeout(timer);
  return outcome;
}

/** A loopback port nothing listens on: every connection is refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe(`stop() during start-up (${testBackend})`, () => {
  it('ends the connect retry loop while the database is unreachable, and starts no worker', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`;
    const config = loadConfig({ DATABASE_URL: url, ADMIN_TOKEN: 'x'.repeat(20) });
    const probe = countingWorker();
    const clock = new ManualClock();
    const service = await createService(config, {
      database: await openDatabase({ databaseUrl: url, maxConnections: 1 }),
      clock,
      logger: testLogger(),
      features: [probe.module],
    });
    // First attempt refused: the back-off sleep is armed on the clock.
    await until(() => clock.pendingTimers > 0);
    await service.stop();
    expect(await settled(service.ready, 3000)).toBe('rejected SERVICE_STOPPED');
    // The sleep was cut short, and no loop arms another: moving time on retries nothing.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    await new Promise((r) => setImmediate(r));
    expect(clock.pendingTimers).toBe(0);
    expect(probe.starts()).toBe(0);
  });

  it('stopped before migrations finish: ready rejects, no worker starts after stop', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanup.push(() => db.destroy());
    const config = loadConfig({
      ...(db.url ? { DATABASE_URL: db.url } : { DATA_DIR: 'memory://' }),
      ADMIN_TOKEN: 'x'.repeat(20),
    });
    const probe = countingWorker();
    const service = await createService(config, { database: db, logger: testLogger(), features: [probe.module] });
    const stopped = service.stop();
    expect(await settled(service.ready, 10_000)).toBe('rejected SERVICE_STOPPED');
    await stopped;
    expect(probe.starts()).toBe(0);
  });
});

describe(`/readyz before the service is ready (${testBackend})`, () => {
  it('says 503 while migrations are applied but secrets did not load, like the other routes', async () => {
    const db = await createTestDatabase(); // migrated: the database alone looks ready
    cleanup.push(() => db.destroy());
    // A stored pass key of the wrong type makes loading secrets fail, so start-up never finishes.
    const wrongKey = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await db.db.insert(settings).values({ key: 'pass_signing_key', value: wrongKey as unknown as object });
    const config = loadConfig({
      ...(db.url ? { DATABASE_URL: db.url } : { DATA_DIR: 'memory://' }),
      ADMIN_TOKEN: 'x'.repeat(20),
    });
    const service = await createService(config, { database: db, logger: testLogger(), workers: false, migrate: false });
    cleanup.push(() => service.stop());
    await expect(service.ready).rejects.toThrow(/Ed25519/);

    expect(service.deps.isReady()).toBe(false);
    expect((await service.app.inject({ url: '/.well-known/khaibao/pass-keys.json' })).statusCode).toBe(503);
    const r = await service.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'unavailable' });
  });
});
