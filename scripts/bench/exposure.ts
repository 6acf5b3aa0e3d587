/**
 * Exposure and outbox benchmark on PostgreSQL (not a test: it prints numbers).
 *
 *   npx tsx scripts/bench/exposure.ts                      # 1,000,000 visits, 30 timed cases, 20,000 outbox messages
 *   npx tsx scripts/bench/exposure.ts --visits 10000000    # the 10M data set (several minutes to build)
 *   BENCH_DATABASE_URL=postgres://… npx tsx scripts/bench/exposure.ts --runs 50 --outbox 50000
 *
 * Data set (built once per size in its own database, khaibao_bench_<visits>): 10,000 venues (café, office, market,
 * restaurant stays), 200,000 residents, N visits over the last 21 days; venue popularity is skewed (random()²)
 * so some venues are busy; 80 % of visits have an exit, the rest end after the venue's default stay.
 *
 * Measured: the time of POST /api/v1/cases (through the real app, admin token) for a new case with 20 visits in
 * its infectious window, until the response, i.e. until windows, contacts and alerts are committed (queued) —
 * median and p95 over the runs; the EXPLAIN ANALYZE of the matching statement for the last case; and the
 * outbox's delivery rate against a sender without limits.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_CAPABILITIES, type ChannelSender } from '../../src/core/channel.js';
import { systemClock } from '../../src/core/clock.js';
import { queryRows } from '../../src/db/client.js';
import { exposureWindows } from '../../src/db/schema/index.js';
import { candidateVisitsQuery } from '../../src/features/exposure/store.js';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { createService } from '../../src/service.js';
import { eq } from 'drizzle-orm';

const { values: args } = parseArgs({
  options: {
    visits: { type: 'string', default: '1000000' },
    venues: { type: 'string', default: '10000' },
    people: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '30' },
    'case-visits': { type: 'string', default: '20' },
    outbox: { type: 'string', default: '20000' },
  },
});
const N_VISITS = Number(args.visits);
const N_VENUES = Number(args.venues);
const N_PEOPLE = Number(args.people);
const RUNS = Number(args.runs);
const CASE_VISITS = Number(args['case-visits']);
const N_OUTBOX = Number(args.outbox);
const ADMIN = 'bench-admin-token-0123456789';

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `khaibao_bench_${N_VISITS}`;
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;

const log = (...a: unknown[]) => console.log(...a);

async function ensureDatabase(): Promise<boolean> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const exists = await admin`select 1 from pg_database where datname = ${dbName}`;
  if (exists.length === 0) await admin.unsafe(`create database ${dbName}`);
  await admin.end();
  return exists.length === 0;
}

async function main() {
  const created = await ensureDatabase();
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'https://bench.test',
  });
  const service = await createService(config, {
    workers: false,
    logger: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
  });
  await service.ready;
  const db = service.deps.database.db;

  const [{ n }] = (await queryRows<{ n: string }>(db, sql`select count(*) as n from visits`)) as [{ n: string }];
  if (created || Number(n) < N_VISITS) {
    log(`building data set in ${dbName}: ${N_VENUES} venues, ${N_PEOPLE} people, ${N_VISITS} visits over 21 days…`);
    const t = performance.now();
    await buildDataSet(db);
    log(`  built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } else {
    log(`data set ${dbName} present (${n} visits)`);
  }

  const now = systemClock.now();
  const [{ vs }] = (await queryRows<{ vs: string }>(
    db,
    sql`select array_agg(id order by code)::text as vs from venues where code like 'B%'`,
  )) as [{ vs: string }];
  const venueIds = vs.slice(1, -1).split(',');
  const timings: number[] = [];
  const results: { windows: number; contacts: number; alerts: number }[] = [];
  let lastCaseId = '';
  for (let i = -3; i < RUNS; i++) {
    // A new resident who becomes a case: 20 visits in the last 3 days (the infectious window: 2 days before
    // onset, onset yesterday), at venues picked with the same skew as everyone's.
    const phone = `+849${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const [acct] = await queryRows<{ id: string }>(
      db,
      sql`insert into accounts (channel, external_id) values ('telegram', ${`case-${Date.now()}-${i}`}) returning id`,
    );
    const [person] = await queryRows<{ id: string }>(
      db,
      sql`insert into persons (owner_account_id, is_self, full_name, birth_year, gender, phone) values (${acct!.id}, true, 'Ca bệnh thử', 1980, 'other', ${phone}) returning id`,
    );
    const start = now.getTime() - 3 * 86_400_000;
    for (let k = 0; k < CASE_VISITS; k++) {
      const entered = new Date(start + ((k + Math.random() * 0.8) / CASE_VISITS) * (3 * 86_400_000 - 3_600_000));
      const venue = venueIds[Math.floor(Math.random() ** 2 * venueIds.length)]!;
      await db.execute(
        sql`insert into visits (person_id, venue_id, account_id, entered_at, exited_at, source, channel)
            values (${person!.id}, ${venue}, ${acct!.id}, ${entered.toISOString()}::timestamptz, ${new Date(entered.getTime() + 45 * 60_000).toISOString()}::timestamptz, 'poster', 'telegram')`,
      );
    }
    const t0 = performance.now();
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { phone, onsetAt: new Date(now.getTime() - 86_400_000).toISOString() },
    });
    const ms = performance.now() - t0;
    if (res.statusCode !== 201) throw new Error(`POST /api/v1/cases → ${res.statusCode} ${res.body}`);
    const body = res.json() as { id: string; exposureWindows: number; contacts: number; alertsQueued: number };
    if (i >= 0) {
      timings.push(ms);
      results.push({ windows: body.exposureWindows, contacts: body.contacts, alerts: body.alertsQueued });
    }
    lastCaseId = body.id;
  }
  timings.sort((a, b) => a - b);
  const pct = (p: number) => timings[Math.min(timings.length - 1, Math.ceil((p / 100) * timings.length) - 1)]!;
  const avg = (k: 'windows' | 'contacts' | 'alerts') =>
    (results.reduce((s, r) => s + r[k], 0) / results.length).toFixed(1);
  log(`\nPOST /api/v1/cases → alerts queued, ${RUNS} runs (case with ${CASE_VISITS} visits):`);
  log(
    `  median ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, min ${timings[0]!.toFixed(1)} ms, max ${timings.at(-1)!.toFixed(1)} ms`,
  );
  log(`  per case: ${avg('windows')} windows, ${avg('contacts')} contacts, ${avg('alerts')} alerts queued (averages)`);

  const windows = await db.select().from(exposureWindows).where(eq(exposureWindows.caseId, lastCaseId));
  const plan = await queryRows<{ 'QUERY PLAN': string }>(
    db,
    sql`explain (analyze, buffers, costs off) ${candidateVisitsQuery(windows.map((w) => ({ venueId: w.venueId, from: w.fromAt, to: w.toAt })))}`,
  );
  log(`\nEXPLAIN ANALYZE of the matching statement (last case, ${windows.length} windows):`);
  for (const r of plan) log(`  ${r['QUERY PLAN']}`);

  await outboxRate(service.deps.database);
  await service.stop();
}

async function buildDataSet(db: import('../../src/db/client.js').Db) {
  await db.execute(sql`insert into venues (code, name, kind, default_stay_minutes)
    select 'B' || lpad(g::text, 7, '0'), 'Địa điểm thử ' || g, (array['cafe','office','market','restaurant'])[1 + g % 4],
           (array[60, 480, 45, 90])[1 + g % 4]
    from generate_series(1, ${N_VENUES}) g on conflict (code) do nothing`);
  await db.execute(sql`insert into accounts (channel, external_id, locale)
    select 'telegram', 'bench-' || g, case when g % 10 = 0 then 'en' else 'vi' end from generate_series(1, ${N_PEOPLE}) g
    on conflict do nothing`);
  await db.execute(sql`insert into persons (owner_account_id, is_self, full_name, birth_year, gender)
    select a.id, true, 'Người thử ' || a.external_id, 1950 + (random() * 60)::int, 'other' from accounts a
    where a.external_id like 'bench-%' and not exists (select 1 from persons p where p.owner_account_id = a.id)`);
  const chunk = 1_000_000;
  const [{ have }] = (await queryRows<{ have: string }>(db, sql`select count(*) as have from visits`)) as [
    { have: string },
  ];
  for (let done = Number(have); done < N_VISITS; done += chunk) {
    const n = Math.min(chunk, N_VISITS - done);
    await db.execute(sql`
      with pp as (select array_agg(id order by id) ids, array_agg(owner_account_id order by id) owners, count(*)::int n
                  from persons where full_name like 'Người thử %'),
           vv as (select array_agg(id order by code) ids, array_agg(default_stay_minutes order by code) stays, count(*)::int n
                  from venues where code like 'B%'),
           r as (select 1 + floor(random() * (select n from pp))::int pi, 1 + floor(power(random(), 2) * (select n from vv))::int vi,
                        now() - random() * interval '21 days' t, random() ex, random() len
                 from generate_series(1, ${n}))
      insert into visits (person_id, account_id, venue_id, entered_at, exited_at, exit_reason, source, channel)
      select pp.ids[r.pi], pp.owners[r.pi], vv.ids[r.vi], r.t,
             case when r.ex < 0.8 then r.t + (5 + r.len * vv.stays[r.vi] * 1.2) * interval '1 minute' end,
             case when r.ex < 0.8 then 'left' end, 'poster', 'telegram'
      from r, pp, vv`);
    log(`  visits: ${done + n}`);
  }
  await db.execute(sql`analyze`);
}

async function outboxRate(database: import('../../src/db/client.js').Database) {
  const db = database.db;
  await db.execute(sql`update outbox set status = 'cancelled' where status in ('pending', 'sending')`);
  const accts = await queryRows<{ id: string }>(
    db,
    sql`select id from accounts where external_id like 'bench-%' limit ${N_OUTBOX}`,
  );
  const tag = Date.now();
  await enqueue(
    db,
    accts.map((a, i) => ({
      channel: 'telegram' as const,
      accountId: a.id,
      kind: 'bench',
      dedupeKey: `bench:${tag}:${i}`,
      messages: [{ text: `Tin thử ${i}` }],
    })),
  );
  let sent = 0;
  const unlimited: ChannelSender = {
    name: 'telegram',
    label: 'Telegram',
    capabilities: DEFAULT_CAPABILITIES,
    ratePerSecond: Infinity,
    send: async () => {
      sent++;
      return {};
    },
  };
  for (const batchSize of [100, 500]) {
    if (batchSize !== 100) {
      await db.execute(
        sql`update outbox set status = 'pending', next_attempt_at = 'epoch', attempts = 0 where kind = 'bench' and dedupe_key like ${`bench:${tag}:%`}`,
      );
      sent = 0;
    }
    const d = new OutboxDispatcher({
      database,
      channels: new Map([['telegram', unlimited]]),
      clock: systemClock,
      log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
      maxAttempts: 8,
      batchSize,
    });
    const t0 = performance.now();
    while ((await d.runOnce()) > 0);
    const s = (performance.now() - t0) / 1000;
    log(
      `\noutbox delivery, unlimited sender, one dispatcher, batch ${batchSize}: ${sent} messages in ${s.toFixed(2)} s = ${Math.round(sent / s)} msg/s`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
