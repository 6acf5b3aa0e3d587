// The webhook comparison of issue 18, in one run: the two bare reference bots (bare-bot.ts) and khaibao
// (telegram-webhook.ts) one after the other, each in its own process on the same load generator and fake Bot
// API, then one Markdown table with the ratios to the bare persistent bot (bare grammY + postgres.js), which runs
// twice, before khaibao and after it: the reference is the mean of the two.
// Goals: check-in updates ≥ 0.5×, /start ≥ 0.6× of the bare persistent bot, p99 < 100 ms at 16 concurrent;
// declaration updates (a daily re-declaration ending with the pass image) ≥ 200/s.
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cmp npx tsx scripts/bench/webhook-compare.ts [seconds=10] [concurrency=16]
//   (BENCH_DATABASE_URL: required for the persistent bare bot; khaibao runs on the same database)
//   BENCH_RSS_UPDATES=10000 adds khaibao's RSS after that many `/start` updates (a longer run).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const seconds = process.argv[2] ?? '10';
const concurrency = process.argv[3] ?? '16';
if (!process.env.BENCH_DATABASE_URL) throw new Error('BENCH_DATABASE_URL (an empty PostgreSQL database) is required');
const tsx = 'node_modules/.bin/tsx';

interface Result {
  mode: string;
  database: string;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: string; p90: string; p99: string };
  statuses: Record<string, number>;
  updatesHandled: number;
  rssMiBAfterRun: number;
  checkinsPerSecond?: number;
  visitsRecorded?: number;
  checkins?: number;
  declarations?: number;
  declarationsPerSecond?: number;
}

async function bench(script: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  process.stderr.write(`… ${script} ${args.join(' ')}\n`);
  const { stdout } = await run(tsx, [`scripts/bench/${script}`, ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Result;
}

const plain = await bench('bare-bot.ts', [seconds, concurrency, 'plain']);
const persistent = await bench('bare-bot.ts', [seconds, concurrency, 'pg']);
const start = await bench('telegram-webhook.ts', [seconds, concurrency, 'start']);
const checkin = await bench('telegram-webhook.ts', [seconds, concurrency, 'checkin']);
const declare = await bench('telegram-webhook.ts', [seconds, concurrency, 'declare']);
// The machine's speed drifts over minutes; the reference is the bare persistent bot's mean over a run before
// khaibao's and one after, so a slow or fast minute does not land on one side only.
const persistentAfter = await bench('bare-bot.ts', [seconds, concurrency, 'pg']);
const rssRun = process.env.BENCH_RSS_UPDATES
  ? await bench('telegram-webhook.ts', ['0', concurrency, 'start'], { BENCH_UPDATES: process.env.BENCH_RSS_UPDATES })
  : undefined;

const ref = (persistent.requestsPerSecond + persistentAfter.requestsPerSecond) / 2;
const ratio = (x: number) => `${(x / ref).toFixed(2)}×`;
const non200 = (r: Result) =>
  Object.entries(r.statuses)
    .filter(([s]) => s !== '200')
    .reduce((n, [, c]) => n + c, 0);
const row = (name: string, r: Result, perSecond: number, goal: string) =>
  `| ${name} | ${perSecond} | ${ratio(perSecond)} | ${goal} | ${r.latencyMs.p50} / ${r.latencyMs.p90} / ${r.latencyMs.p99} | ${r.updatesHandled} | ${r.rssMiBAfterRun} | ${non200(r)} |`;

const lines = [
  `Webhook comparison: ${seconds} s each, ${concurrency} concurrent, ${persistent.database === 'postgres' ? 'PostgreSQL' : persistent.database} (khaibao: ${start.database})`,
  '',
  '| bot | updates/s | × bare persistent | goal | latency p50 / p90 / p99 ms | updates | RSS MiB after | non-200 |',
  '|---|---|---|---|---|---|---|---|',
  row('bare grammY + Fastify, `/start`', plain, plain.requestsPerSecond, ''),
  row(
    'bare grammY + postgres.js, 1 transaction + 1 reply (before khaibao)',
    persistent,
    persistent.requestsPerSecond,
    '',
  ),
  row('bare grammY + postgres.js, after khaibao', persistentAfter, persistentAfter.requestsPerSecond, ''),
  `| bare persistent, mean of the two: the reference | ${Math.round(ref)} | 1.00× | 1× | | | | |`,
  row('khaibao `/start` (new chats)', start, start.requestsPerSecond, '≥ 0.6×, p99 < 100'),
  row('khaibao check-in (deep link + confirm), updates', checkin, checkin.requestsPerSecond, '≥ 0.5×, p99 < 100'),
  `| khaibao check-ins/s (${checkin.visitsRecorded ?? '?'} visits recorded for ${checkin.checkins ?? '?'} check-ins) | ${checkin.checkinsPerSecond ?? '?'} | ${ratio(checkin.checkinsPerSecond ?? 0)} | | | | | |`,
  row(
    'khaibao declaration (re-declaration, pass image at the end), updates',
    declare,
    declare.requestsPerSecond,
    '≥ 200/s',
  ),
  `| khaibao declarations/s (${declare.declarations ?? '?'} declarations) | ${declare.declarationsPerSecond ?? '?'} | | | | | | |`,
];
if (rssRun) {
  lines.push(
    row(
      `khaibao \`/start\`, memory run (${process.env.BENCH_RSS_UPDATES} updates)`,
      rssRun,
      rssRun.requestsPerSecond,
      'RSS < 150 MiB',
    ),
  );
}
console.log(lines.join('\n'));
