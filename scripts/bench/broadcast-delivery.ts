// Sustained delivery rate of a broadcast through the whole path — API, queue job, outbox dispatcher, the real
// Telegram sender (grammY) — to the fake Bot API on loopback. Bounded: at most 5,000 recipients and 120 s.
//
//   npx tsx scripts/bench/broadcast-delivery.ts [ratePerSecond=25] [recipients=500]
//   npx tsx scripts/bench/broadcast-delivery.ts 1000 3000          # TELEGRAM_RATE_PER_SECOND=1000: "no limit"
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx scripts/bench/broadcast-delivery.ts 25 500
//   (TEST_DATABASE_URL: a server where it creates and drops its own database; unset = in-memory PGlite)
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/service.js';
import { seedAccounts } from '../../test/broadcast/fixtures.js';
import { createTestDatabase, testBackend } from '../../test/helpers/db.js';
import { startFakeTelegram } from '../../test/helpers/fake-telegram.js';

const rate = Math.min(Math.max(Number(process.argv[2] ?? 25), 1), 1000);
const recipients = Math.min(Math.max(Number(process.argv[3] ?? 500), 10), 5000);
const DEADLINE_MS = 120_000;
const ADMIN = 'bench-admin-token-0123456789';

const tg = await startFakeTelegram();
const db = await createTestDatabase();
const config = loadConfig({
  PUBLIC_URL: 'https://khaibao.bench',
  DATA_DIR: 'memory://',
  ADMIN_TOKEN: ADMIN,
  TELEGRAM_BOT_TOKEN: tg.token,
  TELEGRAM_WEBHOOK_SECRET: 'bench-secret-0123456789',
  TELEGRAM_API_ROOT: tg.apiRoot,
  TELEGRAM_RATE_PER_SECOND: String(rate),
  LOG_LEVEL: 'silent',
});
const service = await createService(config, {
  database: db,
  migrate: false,
  logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
  workers: true,
});
try {
  await service.ready;
  await seedAccounts(db.db, { n: recipients, prefix: '9' });
  const res = await service.app.inject({
    method: 'POST',
    url: '/api/v1/broadcasts',
    headers: { authorization: `Bearer ${ADMIN}` },
    payload: { text: 'Thông báo thử tải: giữ khoảng cách, đeo khẩu trang.', audience: { all: true } },
  });
  if (res.statusCode !== 201) throw new Error(`POST /api/v1/broadcasts → ${res.statusCode} ${res.body}`);
  const { id } = res.json() as { id: string };
  const created = Date.now();

  const sent = () => tg.calls.filter((c) => c.method === 'sendMessage' && c.status === 200);
  while (sent().length < recipients && Date.now() - created < DEADLINE_MS) await new Promise((r) => setTimeout(r, 100));
  const times = sent().map((c) => c.at);
  const first = times[0]!;
  const last = times.at(-1)!;
  // Steady state: from the end of the first second of sending (the queue job's first tick and the limiter's start).
  const steady = times.filter((t) => t - first >= 1000);
  const sustained = steady.length > 1 ? (steady.length - 1) / ((steady.at(-1)! - steady[0]!) / 1000) : NaN;
  // The progress job marks it done within about a second of the last send.
  let status: { status: string; sent: number; total: number };
  do {
    status = (
      await service.app.inject({ url: `/api/v1/broadcasts/${id}`, headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    if (status.status !== 'done') await new Promise((r) => setTimeout(r, 100));
  } while (status.status !== 'done' && Date.now() - created < DEADLINE_MS);
  console.log(
    `${testBackend}: TELEGRAM_RATE_PER_SECOND=${rate}, ${times.length}/${recipients} delivered in ${((last - first) / 1000).toFixed(1)} s ` +
      `(${((last - created) / 1000).toFixed(1)} s from POST): ${sustained.toFixed(1)} msg/s sustained; ` +
      `429s from the fake: ${tg.calls.filter((c) => c.status === 429).length}; broadcast ${status.status}, sent ${status.sent}/${status.total}`,
  );
} finally {
  await service.stop();
  await db.destroy().catch(() => undefined);
  await tg.close();
}
