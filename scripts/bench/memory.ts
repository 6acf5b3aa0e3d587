// Memory and start-up of the service as production runs it: the compiled `node dist/src/main.js` in a child process
// of its own, so the figures are the service's and not this script's (which hosts the load generator, the fake Bot
// API and tsx). For each database — PGlite in a fresh data directory, and PostgreSQL when BENCH_DATABASE_URL is set:
//   1. this script migrates the database and seeds a venue and declared residents (as a restart finds them),
//   2. launches the service (webhook mode, replies to the fake Bot API on loopback) and times launch → /readyz 200,
//   3. reads the child's memory once ready: VmRSS and RssAnon from /proc/PID/status, heap and external from /metrics,
//   4. posts N Telegram updates from `concurrency` senders: alternately a `/start` from a new chat and a check-in
//      by a declared resident (`/start v_<code>` from the poster, then the confirm button: two updates),
//   5. reads the memory again (and VmHWM, the peak), stops the service and checks every check-in was recorded once.
//
//   npx tsx scripts/bench/memory.ts [updates=10000] [concurrency=16]
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx scripts/bench/memory.ts 10000 16
// BENCH_DATABASE_URL: a database it may migrate and fill (ids are unique per run, so it can be reused).
// BENCH_NODE_FLAGS="--max-semi-space-size=4": extra node flags for the service (experiments).
// BENCH_HEAP_SNAPSHOT=1: the service writes a heap snapshot after the updates (node --heapsnapshot-signal) into the
// run's directory, kept and printed.
// BENCH_SERVICE_ROOT=/path/to/other/checkout: start that checkout's build instead (before/after in one window).
// BENCH_ONLY=pglite|postgres: one database only. BENCH_IDLE_SECONDS=10: the quiet time before the last reading.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { visits } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { createLoad, drive, latencyMs, statusCounts } from './load.js';
import { offeredButton, seedResidents } from './residents.js';
import { serviceNodeFlags } from '../../test/helpers/compiled.js';
import { startFakeTelegram, tgUpdates, tgUser } from '../../test/helpers/fake-telegram.js';
import { freePort } from '../../test/helpers/ports.js';

const updates = Number(process.argv[2] ?? 10_000);
const concurrency = Math.min(Number(process.argv[3] ?? 16), 64);
const SECRET = 'bench-secret-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const heapSnapshot = process.env.BENCH_HEAP_SNAPSHOT === '1';
// BENCH_SERVICE_ROOT: another checkout's build to start (a before/after comparison in one window)
const SERVICE_ROOT = process.env.BENCH_SERVICE_ROOT ?? PACKAGE_ROOT;
const MAIN = path.join(SERVICE_ROOT, 'dist/src/main.js');
// what production runs: the compiled build, brought up to date first
if (spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: SERVICE_ROOT, stdio: 'inherit' }).status) {
  throw new Error('the build failed');
}

interface Memory {
  /** VmRSS, MiB */
  rss: number;
  /** RssAnon: what the process allocated (heap, buffers, WASM memory), without mapped files, MiB */
  rssAnon: number;
  /** VmHWM: the highest RSS so far, MiB */
  peak: number;
  /** V8 heap used / external memory (Buffers, WASM), MiB, from the service's /metrics */
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** CPU time the process has used (user + system), ms: a start-up figure that busy neighbours inflate far less. */
function cpuMs(pid: number): number {
  // /proc/PID/stat: the fields after the command's closing parenthesis; utime and stime are the 12th and 13th
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / 100); // USER_HZ = 100 on Linux
}

function procMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rss: Math.round(kb('VmRSS') / 1024),
    rssAnon: Math.round(kb('RssAnon') / 1024),
    peak: Math.round(kb('VmHWM') / 1024),
  };
}

async function memoryOf(pid: number, base: string): Promise<Memory> {
  const m = procMemory(pid); // before /metrics allocates anything
  try {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await res.text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    m.heapUsed = mib(metric('nodejs_heap_size_used_bytes'));
    m.heapTotal = mib(metric('nodejs_heap_size_total_bytes'));
    m.external = mib(metric('nodejs_external_memory_bytes'));
  } catch {
    // the figures from /proc stand alone
  }
  return m;
}

function waitExit(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

async function run(kind: 'pglite' | 'postgres') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'khaibao-memory-'));
  const dataDir = path.join(dir, 'data');
  const databaseUrl = kind === 'postgres' ? process.env.BENCH_DATABASE_URL! : undefined;
  const tg = await startFakeTelegram();
  const load = createLoad('', SECRET); // base only: the URL is known once the port is
  const { base } = load;

  // 1. the database as a restart finds it: migrated, a venue, declared residents (one per check-in to come)
  const checkins = Math.ceil(updates / 3);
  let db = await openDatabase({ databaseUrl, dataDir, statementTimeoutMs: 0 });
  await runMigrations(db, databaseUrl);
  const venue = await createVenue(db.db, { name: 'Siêu thị Tân An', kind: 'shop' });
  const residents = await seedResidents(db.db, base + 3_000_000_000, checkins + concurrency);
  await db.close();

  // 2. launch → /readyz
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: 'https://khaibao.bench',
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: tg.apiRoot,
    TELEGRAM_MODE: 'webhook',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // production's flags (npm start's), then the experiment's, which win where they name the same flag
  const flags = [
    ...serviceNodeFlags(SERVICE_ROOT),
    ...nodeFlags,
    ...(heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2'] : []),
  ];
  const t0 = performance.now();
  const child = spawn(process.execPath, [...flags, MAIN], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  // a failed run must not leave the service running
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited (${child.exitCode}) before ready:\n${stderr}`);
    const status = await fetch(`${origin}/readyz`).then(
      (r) => r.arrayBuffer().then(() => r.status),
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() - t0 > 60_000) throw new Error(`not ready after 60 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = Math.round(performance.now() - t0);
  const readyCpuMs = cpuMs(child.pid!);
  const afterStart = await memoryOf(child.pid!, origin);

  // 3. the updates: alternately a /start from a new chat (1 update) and a check-in (2 updates)
  const url = `${origin}/telegram/webhook`;
  const sender = createLoad(url, SECRET);
  let sent = 0;
  let nextNewChat = base + 2_000_000_000;
  let turn = 0;
  let checkedIn = 0;
  let nextResident = 0;
  const offered = (chatId: number) => offeredButton(tg.calls, chatId, 'Xác nhận check-in');
  const started = performance.now();
  await drive(3600, concurrency, async () => {
    if (sent >= updates) return false;
    // the fake keeps every call; only the last few are ever read back (the pairs in flight)
    if (tg.calls.length > 2000) tg.calls.splice(0, tg.calls.length - 500);
    if (turn++ % 2 === 0 || updates - sent < 2) {
      sent++;
      const u = tgUser(nextNewChat++);
      await sender.timed('start', sender.withId(tgUpdates.text(u, '/start')));
      return true;
    }
    sent += 2;
    const chatId = residents[nextResident++]!;
    const u = tgUser(chatId);
    await sender.timed('start v_<code>', sender.withId(tgUpdates.text(u, `/start v_${venue.code}`)));
    // the reply is sent before the webhook is answered, or (when that is slow) through the outbox just after
    let b = offered(chatId);
    if (!b) await tg.waitFor(() => (b = offered(chatId)) !== undefined, 15_000).catch(() => {});
    if (!b) throw new Error(`chat ${chatId}: no confirm button offered`);
    await sender.timed('confirm', sender.withId(tgUpdates.button(u, b.data, b.messageId)));
    checkedIn++;
    return true;
  });
  const seconds = (performance.now() - started) / 1000;
  const afterUpdates = await memoryOf(child.pid!, origin);
  // V8 gives heap pages back once allocation has been quiet for a while (its memory reducer): the figure an idle
  // instance settles at, BENCH_IDLE_SECONDS (default 10) later.
  await new Promise((r) => setTimeout(r, Number(process.env.BENCH_IDLE_SECONDS ?? 10) * 1000));
  const afterIdle = await memoryOf(child.pid!, origin);

  let snapshot: string | undefined;
  if (heapSnapshot) {
    child.kill('SIGUSR2');
    for (let i = 0; i < 600 && !snapshot; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
      // written when its size stops changing
      if (f) snapshot = path.join(dir, f);
    }
    await new Promise((r) => setTimeout(r, 3000));
  }

  // 4. stop; every check-in recorded once
  child.kill('SIGTERM');
  const exitCode = await waitExit(child, 20_000);
  process.off('exit', killChild);
  db = await openDatabase({ databaseUrl, dataDir });
  const [row] = await db.db
    .select({ visits: sql<number>`count(*)::int`, people: sql<number>`count(distinct ${visits.personId})::int` })
    .from(visits)
    .where(and(eq(visits.venueId, venue.id), eq(visits.channel, 'telegram')));
  await db.close();
  await tg.close();
  if (!snapshot) rmSync(dir, { recursive: true, force: true });

  return {
    database: kind,
    readyMs,
    readyCpuMs,
    afterStart,
    afterUpdates,
    afterIdle,
    updates: sender.samples.length,
    updatesPerSecond: Math.round(sender.samples.length / seconds),
    latencyMs: latencyMs(sender.samples),
    statuses: statusCounts(sender.samples),
    checkins: checkedIn,
    visitsRecorded: Number(row!.visits),
    distinctPeople: Number(row!.people),
    exitCode,
    ...(snapshot ? { heapSnapshot: snapshot } : {}),
  };
}

const kinds: ('pglite' | 'postgres')[] = [];
if (process.env.BENCH_ONLY !== 'postgres') kinds.push('pglite');
if (process.env.BENCH_DATABASE_URL && process.env.BENCH_ONLY !== 'pglite') kinds.push('postgres');
const results = [];
for (const k of kinds) results.push(await run(k));
console.log(JSON.stringify(results, null, 2));
console.log(
  `\n| database | start → /readyz (CPU time) | RSS after start | RSS after ${updates.toLocaleString('en')} updates | peak RSS | heap used / total / external after | RSS idle after | updates/s |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.database} | ${r.readyMs} ms (${r.readyCpuMs} ms) | ${r.afterStart.rss} MiB | ${r.afterUpdates.rss} MiB | ${r.afterUpdates.peak} MiB | ${r.afterUpdates.heapUsed} / ${r.afterUpdates.heapTotal} / ${r.afterUpdates.external} MiB | ${r.afterIdle.rss} MiB | ${r.updatesPerSecond} |`,
  );
}
const wrong = results.filter((r) => r.visitsRecorded !== r.checkins || r.distinctPeople !== r.checkins);
if (wrong.length || results.some((r) => Object.keys(r.statuses).some((s) => s !== '200'))) {
  console.error('!! some check-in was not recorded exactly once, or some update was not answered 200');
  process.exitCode = 1;
}
