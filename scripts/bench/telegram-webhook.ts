// Webhook throughput: the real service (its features, the dialog runner, the database) on loopback, replies
// going to the fake Bot API on loopback. Bounded: a fixed duration and a fixed number of concurrent senders;
// every update is a different person (as many chats at once are). Two modes:
//   start    one `/start` update per new person (account creation, welcome)
//   checkin  one check-in per declared resident: `/start v_<code>` (the poster's deep link), then a press on
//            the "confirm" button the bot offered — two webhook requests; reported as check-ins per second
//   declare  one daily re-declaration per declared resident: `/khaibao`, every health question answered "no" by
//            its button, then «Xác nhận» at the summary, which sends the pass image — each press an update;
//            reported as declarations per second (and updates per second, as the others), with the latency of
//            `/khaibao`, of the answers and of the confirmation that sends the pass, each on its own
//
//   npx tsx scripts/bench/telegram-webhook.ts [seconds=10] [concurrency=16] [start|checkin|declare]
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx scripts/bench/telegram-webhook.ts 10 16 checkin
//   BENCH_UPDATES=10000 npx tsx scripts/bench/telegram-webhook.ts 0 16 start   # RSS after 10,000 updates
//   (BENCH_DATABASE_URL: an empty database it may migrate and fill; unset = in-memory PGlite)
// The load generator is scripts/bench/load.ts, shared with the bare reference bots (bare-bot.ts). The output
// includes rssMiBAfterRun: process.memoryUsage().rss once every update of the run was answered.
import pino from 'pino';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { visits } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { createService } from '../../src/service.js';
import { createLoad, drive, latencyMs, rssMiB, summary } from './load.js';
import { offeredButton, seedResidents } from './residents.js';
import {
  callbackButtons,
  startFakeTelegram,
  tgUpdates,
  tgUser,
  type RecordedCall,
} from '../../test/helpers/fake-telegram.js';
import { answerHealthQuestions, type FormDriver, type OfferedButton } from '../../test/helpers/declaration-form.js';

// BENCH_UPDATES=N (start mode): run until N updates are answered instead (at most 15 minutes), for the memory
// figure "RSS after 10,000 updates".
const maxUpdates = Number(process.env.BENCH_UPDATES ?? 0);
const seconds = maxUpdates > 0 ? 900 : Math.min(Number(process.argv[2] ?? 10), 60);
const concurrency = Math.min(Number(process.argv[3] ?? 16), 64);
const mode = process.argv[4] ?? 'start';
if (mode !== 'start' && mode !== 'checkin' && mode !== 'declare') {
  throw new Error(`unknown mode ${mode}: start | checkin | declare`);
}
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
const service = await createService(config, {
  logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
  workers: false,
});
await service.ready;
const db = service.deps.database.db;
const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
const url = `${address}/telegram/webhook`;

const load = createLoad(url, SECRET);
const { post, timed, withId, base, samples } = load;

const startUpdate = (userId: number, param?: string) =>
  withId(tgUpdates.text(tgUser(userId), param ? `/start ${param}` : '/start'));

let iteration: () => Promise<boolean>;
let venueId: string | undefined;
let completed = 0;
/** updates sent before the timed run (warm-up) */
let warmUpdates = 0;
const isReply = (c: { method: string }) => c.method === 'sendMessage' || c.method === 'sendPhoto';
let repliesDropped = 0;
const dropCalls = () => {
  repliesDropped += tg.calls.filter(isReply).length;
  tg.calls.length = 0;
};
if (mode === 'start') {
  // Warm-up: getMe, JIT, the first accounts.
  for (let i = 0; i < 20; i++) await post(startUpdate(base + 1_000_000_000 + i));
  let nextUser = base + 2_000_000_000;
  iteration = async () => {
    if (maxUpdates > 0 && completed >= maxUpdates) return false;
    // The fake Bot API keeps every call it answered; start mode never reads them back, so they are counted and
    // dropped as it goes, keeping the fake's memory out of the RSS figure.
    if (++completed % 500 === 0) dropCalls();
    await timed('start', startUpdate(nextUser++));
    return true;
  };
} else if (mode === 'declare') {
  const pool = await seedResidents(db, base + 4_000_000_000, 20 + Math.min(seconds * 100, 6_000));
  /** One resident's chat: each update posted, and the buttons of the replies it got (found from `mark` on). */
  interface DeclaringChat extends FormDriver {
    /** press the summary's «Xác nhận» */
    confirm(): Promise<void>;
    /** the last update was answered with the pass image */
    passSent(): boolean;
  }
  const chat = (chatId: number, record: boolean): DeclaringChat => {
    let last: RecordedCall[] = [];
    const send = async (update: object, label = 'answer') => {
      const mark = tg.calls.length;
      if (record) await timed(label, withId(update));
      else {
        await post(withId(update));
        warmUpdates++;
      }
      last = tg.calls.slice(mark).filter((c) => isReply(c) && String(c.params.chat_id) === String(chatId));
    };
    const offered = (): (OfferedButton & { messageId: number })[] =>
      last.flatMap((c) => callbackButtons(c).map((b) => ({ label: b.text, payload: b.data, messageId: b.messageId })));
    const press = async (b: { payload: string; messageId: number } | undefined, what: string, label?: string) => {
      if (!b) throw new Error(`chat ${chatId}: no ${what} button offered`);
      await send(tgUpdates.button(tgUser(chatId), b.payload, b.messageId), label);
    };
    return {
      offered,
      tap: (label) =>
        press(
          offered().find((b) => b.label === label),
          label,
        ),
      say: (text) => send(tgUpdates.text(tgUser(chatId), text), text === '/khaibao' ? '/khaibao' : 'answer'),
      passSent: () => last.some((c) => c.method === 'sendPhoto'),
      confirm: () =>
        press(
          offered().find((b) => b.payload === 'd.confirm'),
          'confirm',
          'confirm (pass)',
        ),
    };
  };
  const declare = async (chatId: number, record: boolean) => {
    const d = chat(chatId, record);
    await d.say('/khaibao');
    await answerHealthQuestions(d);
    await d.confirm();
    if (!d.passSent()) throw new Error(`chat ${chatId}: no pass after the declaration`);
  };
  for (let i = 0; i < 5; i++) await declare(pool.shift()!, false);
  iteration = async () => {
    const chatId = pool.shift();
    if (chatId === undefined) return false;
    await declare(chatId, true);
    completed++;
    return true;
  };
} else {
  const venue = await createVenue(db, { name: 'Siêu thị Tân An', kind: 'shop' });
  venueId = venue.id;
  const param = `v_${venue.code}`;
  const pool = await seedResidents(db, base + 3_000_000_000, 20 + Math.min(seconds * 400, 20_000));
  const checkIn = async (chatId: number, record: boolean) => {
    const send = record ? timed : (_: string, u: unknown) => post(u);
    await send('start v_<code>', startUpdate(chatId, param));
    const b = offeredButton(tg.calls, chatId, 'Xác nhận check-in');
    if (!b) throw new Error(`chat ${chatId}: no confirm button offered`);
    await send('confirm', withId(tgUpdates.button(tgUser(chatId), b.data, b.messageId)));
  };
  for (let i = 0; i < 20; i++) await checkIn(pool.shift()!, false);
  iteration = async () => {
    const chatId = pool.shift();
    if (chatId === undefined) return false; // every seeded resident has checked in: the run ends early
    await checkIn(chatId, true);
    completed++;
    return true;
  };
}
tg.reset();

const elapsed = await drive(seconds, concurrency, iteration);
// Resident memory after the run, with every update handled: before the checks below allocate anything more.
const rssMiBAfterRun = rssMiB();
const updatesHandled = samples.length + (mode === 'start' ? 20 : mode === 'checkin' ? 40 : warmUpdates);

const replies = repliesDropped + tg.calls.filter(isReply).length;

let checkin: Record<string, unknown> | undefined;
if (venueId) {
  // Every confirmed check-in must be a visit, once (the warm-up's 20 included).
  const [row] = await db
    .select({ visits: sql<number>`count(*)::int`, people: sql<number>`count(distinct ${visits.personId})::int` })
    .from(visits)
    .where(and(eq(visits.venueId, venueId), eq(visits.channel, 'telegram')));
  checkin = {
    checkins: completed,
    checkinsPerSecond: Math.round(completed / elapsed),
    visitsRecorded: Number(row!.visits) - 20,
    distinctPeople: Number(row!.people) - 20,
    latencyMsByRequest: { start: latencyMs(samples, 'start v_<code>'), confirm: latencyMs(samples, 'confirm') },
  };
}

console.log(
  JSON.stringify(
    {
      mode,
      database: service.deps.database.label,
      ...summary(samples, elapsed, concurrency),
      updatesHandled,
      rssMiBAfterRun,
      repliesSentToFakeTelegram: replies,
      ...checkin,
      ...(mode === 'declare'
        ? {
            declarations: completed,
            declarationsPerSecond: Math.round((10 * completed) / elapsed) / 10,
            latencyMsByRequest: Object.fromEntries(
              ['/khaibao', 'answer', 'confirm (pass)'].map((label) => [label, latencyMs(samples, label)]),
            ),
          }
        : {}),
    },
    null,
    2,
  ),
);
await service.stop();
await tg.close();
