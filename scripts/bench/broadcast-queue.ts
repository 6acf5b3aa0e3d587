/**
 * How long turning a broadcast into outbox rows takes, and what a rerun (after a crash) and one progress tick cost.
 *   npx tsx scripts/bench/broadcast-queue.ts [accounts]                     # PGlite in memory
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx scripts/bench/broadcast-queue.ts 50000
 */
import { eq } from 'drizzle-orm';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { broadcasts } from '../../src/db/schema/index.js';
import { createBroadcast } from '../../src/features/broadcast/create.js';
import { trackBroadcasts } from '../../src/features/broadcast/progress.js';
import { queueDueBroadcasts } from '../../src/features/broadcast/queue-audience.js';
import { createTestDatabase, testBackend } from '../../test/helpers/db.js';
import { seedAccounts, seedWards } from '../../test/broadcast/fixtures.js';

const n = Number(process.argv[2] ?? 50_000);
const db = await createTestDatabase();
try {
  const clock = new ManualClock();
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  const deps = { database: db, clock, log, wakeOutbox: () => {} };
  await seedWards(db.db);
  await seedAccounts(db.db, { n: Math.floor(n * 0.7), prefix: 'tg', wardCode: '31117' });
  await seedAccounts(db.db, {
    n: n - Math.floor(n * 0.7) - Math.floor(n / 50),
    prefix: 'za',
    channel: 'zalo',
    wardCode: '31120',
  });
  await seedAccounts(db.db, { n: Math.floor(n / 50), prefix: 'ur', unreachable: true });
  const b = await createBroadcast(
    db.db,
    { text: 'Thông báo thử tải', audience: { all: true }, actor: 'bench' },
    clock.now(),
  );
  let t = performance.now();
  await queueDueBroadcasts(deps);
  const queueMs = performance.now() - t;
  // A rerun as after a crash: every row already there.
  await db.db.update(broadcasts).set({ status: 'queuing' }).where(eq(broadcasts.id, b.id));
  t = performance.now();
  await queueDueBroadcasts(deps);
  const rerunMs = performance.now() - t;
  t = performance.now();
  await trackBroadcasts(deps);
  const tickMs = performance.now() - t;
  console.log(
    `${testBackend}: ${n} accounts queued in ${queueMs.toFixed(0)} ms (${Math.round((n / queueMs) * 1000)} rows/s); ` +
      `rerun ${rerunMs.toFixed(0)} ms; one progress tick ${tickMs.toFixed(0)} ms`,
  );
} finally {
  await db.destroy();
}
