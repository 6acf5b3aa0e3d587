/**
 * Sustained delivery rate of a broadcast through the outbox dispatcher, against a sender at the ChannelSender port
 * that answers after a fixed latency (a stand-in for the Bot API until the fake Telegram server is wired here).
 *   npx tsx test/broadcast/delivery-bench.ts [rate=25] [messages=250] [latencyMs=30]     # rate 0 = no limit
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/broadcast/delivery-bench.ts 25 250
 */
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import type { ChannelSender, SendReceipt } from '../../src/core/channel.js';
import { systemClock } from '../../src/core/clock.js';
import { createBroadcast, queueDueBroadcasts } from '../../src/features/broadcast/engine.js';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { createTestDatabase, testBackend } from '../helpers/db.js';
import { seedAccounts } from './fixtures.js';

const rate = Number(process.argv[2] ?? 25);
const n = Number(process.argv[3] ?? 250);
const latency = Number(process.argv[4] ?? 30);
const db = await createTestDatabase();
try {
  const times: number[] = [];
  const sender: ChannelSender = {
    name: 'telegram',
    ratePerSecond: rate,
    async send(): Promise<SendReceipt> {
      await new Promise((r) => setTimeout(r, latency));
      times.push(performance.now());
      return { messageRef: '1' };
    },
  };
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  await seedAccounts(db.db, { n, prefix: 'b' });
  await createBroadcast(db.db, { text: 'Thông báo thử tải', audience: { all: true }, actor: 'bench' }, systemClock.now());
  await queueDueBroadcasts({ database: db, clock: systemClock, log });
  const d = new OutboxDispatcher({ database: db, channels: new Map([['telegram', sender]]), clock: systemClock, log, maxAttempts: 5 });
  const start = performance.now();
  while (times.length < n) {
    if ((await d.runOnce()) === 0) break;
  }
  const elapsed = (times.at(-1)! - start) / 1000;
  // Steady state: skip the first second (the limiter's first slot and the first claim).
  const steady = times.filter((t) => t - start > 1000);
  const steadyRate = steady.length > 1 ? (steady.length - 1) / ((steady.at(-1)! - steady[0]!) / 1000) : NaN;
  console.log(
    `${testBackend}: limit ${rate ? `${rate}/s` : 'none'}, ${latency} ms per send: ${times.length} sent in ${elapsed.toFixed(1)} s = ` +
      `${(times.length / elapsed).toFixed(1)} msg/s overall, ${steadyRate.toFixed(1)} msg/s sustained`,
  );
} finally {
  await db.destroy();
}
