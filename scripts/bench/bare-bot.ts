// The two reference bots of issue 18, on the same load generator (load.ts) and the same fake Bot API as
// telegram-webhook.ts, so their numbers compare with khaibao's measured in the same run:
//   plain  bare grammY + Fastify (grammY's webhookCallback): `/start` answered with one sendMessage, no database
//   pg     the same plus postgres.js: one transaction per update (insert the update id, upsert the account,
//          insert one row), then one reply; a redelivered update id is acknowledged without a second reply.
//          Needs BENCH_DATABASE_URL (it creates its own bare_* tables there, if missing).
// Every update is a `/start` from a new chat, as in `telegram-webhook.ts … start`.
//
//   npx tsx scripts/bench/bare-bot.ts [seconds=10] [concurrency=16] [plain|pg]
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx scripts/bench/bare-bot.ts 10 16 pg
import Fastify from 'fastify';
import { Bot, webhookCallback } from 'grammy';
import postgres from 'postgres';
import { startFakeTelegram, tgUpdates, tgUser } from '../../test/helpers/fake-telegram.js';
import { createLoad, drive, rssMiB, summary } from './load.js';

const seconds = Math.min(Number(process.argv[2] ?? 10), 60);
const concurrency = Math.min(Number(process.argv[3] ?? 16), 64);
const mode = process.argv[4] ?? 'plain';
if (mode !== 'plain' && mode !== 'pg') throw new Error(`unknown mode ${mode}: plain | pg`);
const SECRET = 'bench-secret-0123456789';
const PATH = '/telegram/webhook';

let sql: postgres.Sql | undefined;
if (mode === 'pg') {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('mode pg needs BENCH_DATABASE_URL (an empty PostgreSQL database)');
  // The same pool size as khaibao's (src/db/client.ts: 10).
  sql = postgres(url, { max: 10, onnotice: () => {} });
  await sql`create table if not exists bare_updates (update_id bigint primary key, received_at timestamptz not null default now())`;
  await sql`create table if not exists bare_accounts (id bigserial primary key, external_id text not null unique,
    locale text, created_at timestamptz not null default now(), seen_at timestamptz not null default now())`;
  await sql`create table if not exists bare_events (id bigserial primary key,
    account_id bigint not null references bare_accounts(id), text text not null, at timestamptz not null default now())`;
}

const tg = await startFakeTelegram();
const bot = new Bot(tg.token, { client: { apiRoot: tg.apiRoot } });
bot.command('start', async (ctx) => {
  if (sql) {
    const db = sql;
    const fresh = await db.begin(async (tx) => {
      const seen = await tx`insert into bare_updates (update_id) values (${ctx.update.update_id})
        on conflict do nothing returning update_id`;
      if (seen.length === 0) return false; // a redelivery: already handled
      const [account] = await tx`insert into bare_accounts (external_id, locale)
        values (${String(ctx.chat.id)}, ${ctx.from?.language_code ?? 'vi'})
        on conflict (external_id) do update set seen_at = now() returning id`;
      await tx`insert into bare_events (account_id, text) values (${account!.id}, ${ctx.message?.text ?? ''})`;
      return true;
    });
    if (!fresh) return;
  }
  await ctx.reply('Xin chào! Vui lòng chọn một mục bên dưới.');
});
await bot.init();

const app = Fastify({ logger: false });
app.post(PATH, webhookCallback(bot, 'fastify', { secretToken: SECRET }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });

const load = createLoad(`${address}${PATH}`, SECRET);
const startUpdate = (userId: number) => load.withId(tgUpdates.text(tgUser(userId), '/start'));
for (let i = 0; i < 20; i++) await load.post(startUpdate(load.base + 1_000_000_000 + i)); // warm-up
tg.reset();

let nextUser = load.base + 2_000_000_000;
const elapsed = await drive(seconds, concurrency, async () => {
  await load.timed('start', startUpdate(nextUser++));
  return true;
});
const rssMiBAfterRun = rssMiB();

console.log(
  JSON.stringify(
    {
      mode: `bare-${mode}`,
      database: sql ? 'postgres' : 'none',
      ...summary(load.samples, elapsed, concurrency),
      updatesHandled: load.samples.length + 20,
      rssMiBAfterRun,
      repliesSentToFakeTelegram: tg.calls.filter((c) => c.method === 'sendMessage').length,
    },
    null,
    2,
  ),
);
await app.close();
await sql?.end();
await tg.close();
