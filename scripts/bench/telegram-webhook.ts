// Webhook throughput for a `/start` update: the real service (its features, the dialog runner, the
// database) on loopback, replies going to the fake Bot API on loopback. Bounded: a fixed duration and
// a fixed number of concurrent senders; every update is a different person (as many chats at once are).
//
//   npx tsx scripts/bench/telegram-webhook.ts [seconds=10] [concurrency=16]
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx scripts/bench/telegram-webhook.ts
//   (BENCH_DATABASE_URL: an empty database it may migrate and fill; unset = in-memory PGlite)
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/service.js';
import { startFakeTelegram, tgUpdates, tgUser } from '../../test/helpers/fake-telegram.js';

const seconds = Math.min(Number(process.argv[2] ?? 10), 60);
const concurrency = Math.min(Number(process.argv[3] ?? 16), 64);
const SECRET = 'bench-secret-0123456789';

const tg = await startFakeTelegram();
const config = loadConfig({
  PUBLIC_URL: 'https://khaibao.bench',
  DATA_DIR: 'memory://',
  ADMIN_TOKEN: 'bench-admin-token-0123456789',
  TELEGRAM_BOT_TOKEN: tg.token,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_API_ROOT: tg.apiRoot,
  TELEGRAM_MODE: 'webhook',
  LOG_LEVEL: 'silent',
  ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
});
const service = await createService(config, { logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger, workers: false });
await service.ready;
const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
const url = `${address}/telegram/webhook`;

async function post(update: unknown): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify(update),
  });
  await res.arrayBuffer();
  return res.status;
}

// Update ids and people unique per run, so a reused database never sees a duplicate.
const base = Date.now() % 1_000_000_000;
let nextId = base;
const startUpdate = (userId: number) => ({ ...tgUpdates.text(tgUser(userId), '/start'), update_id: nextId++ });

// Warm-up: getMe, JIT, the first accounts.
for (let i = 0; i < 20; i++) await post(startUpdate(base + 1_000_000_000 + i));
tg.reset();

const latencies: number[] = [];
const statuses = new Map<number, number>();
let nextUser = base + 2_000_000_000;
const deadline = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const t0 = performance.now();
      const status = await post(startUpdate(nextUser++));
      latencies.push(performance.now() - t0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }),
);
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
const replies = tg.calls.filter((c) => c.method === 'sendMessage' || c.method === 'sendPhoto').length;

console.log(
  JSON.stringify(
    {
      database: service.deps.database.label,
      seconds: elapsed,
      concurrency,
      requests: latencies.length,
      requestsPerSecond: Math.round(latencies.length / elapsed),
      latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies[latencies.length - 1]!.toFixed(1) },
      statuses: Object.fromEntries(statuses),
      repliesSentToFakeTelegram: replies,
    },
    null,
    2,
  ),
);
await service.stop();
await tg.close();
