import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { buildIfStale } from '../helpers/compiled.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../helpers/db.js';
import { startFakeTelegram, tgUpdates, tgUser, webhookEnv } from '../helpers/fake-telegram.js';
import { freePort } from '../helpers/ports.js';

// The real server process, started as production starts it: `npm start` (npm → node dist/src/main.js).
const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const cleanup: (() => Promise<void>)[] = [];
// Compiled once (when stale) before the first process starts, as `prestart` does.
beforeAll(buildIfStale, 300_000);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(env: Record<string, string>, how: 'npm' | 'node' = 'npm') {
  const [cmd, args] = how === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, ['dist/src/main.js']];
  const child = spawn(cmd as string, args as string[], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  const readyLine = new Promise<void>((resolve, reject) => {
    const check = () => (stdout.includes('khaibao is ready') ? resolve() : undefined);
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`exited before ready: ${stderr}`)));
  });
  readyLine.catch(() => {}); // awaited only by tests that expect a start
  return { child, exited, readyLine, output: () => ({ stdout, stderr }) };
}

/** The process and every process under it, from /proc (Linux). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(e)]);
    } catch {
      // exited while listing
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'khaibao-'));
  dirs.push(d);
  return d;
}

/** Signals only the process `npm start` started, as a process manager does; checks everything under it stopped. */
async function stopWith(proc: ReturnType<typeof start>, port: number, signal: NodeJS.Signals) {
  const tree = processTree(proc.child.pid!);
  expect(tree.length).toBeGreaterThan(1); // npm and the node it runs
  const t0 = Date.now();
  proc.child.kill(signal);
  const run = await proc.exited;
  const ms = Date.now() - t0;
  expect(run.code).toBe(0);
  expect(ms).toBeLessThan(10_000);
  expect(tree.filter(alive)).toEqual([]);
  expect(await portOpen(port)).toBe(false);
  return ms;
}

describe('the server process', () => {
  it('refuses a bad configuration with one line per variable and exit code 1', async () => {
    const run = await start({ PORT: 'abc', PUBLIC_URL: 'nope' }, 'node').exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+- PORT /m);
    expect(run.stderr).toMatch(/^\s+- PUBLIC_URL /m);
    expect(run.stderr).not.toMatch(/at .*\.[jt]s:\d+/); // no stack trace
  });

  it('`npm start` runs the compiled server; SIGTERM or SIGINT to npm alone stops it all within 10 s, exit 0; data kept', async () => {
    const dataDir = freshDir();
    const port = await freePort();
    const first = start({ DATA_DIR: dataDir, PORT: String(port) });
    await first.readyLine;
    expect(first.output().stdout).toContain(`http://localhost:${port}/chat`);
    expect(first.output().stdout).toMatch(/admin token \(shown once/);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const key1 = await (await fetch(`http://127.0.0.1:${port}/.well-known/khaibao/pass-keys.json`)).text();
    // compiled JavaScript, no TypeScript loader in the process tree
    const commands = processTree(first.child.pid!).map((p) =>
      readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '),
    );
    expect(commands.some((c) => c.includes('dist/src/main.js'))).toBe(true);
    expect(commands.filter((c) => /tsx|\.ts\b/.test(c))).toEqual([]);

    await stopWith(first, port, 'SIGTERM');

    const second = start({ DATA_DIR: dataDir, PORT: String(port) });
    await second.readyLine;
    // The admin token was generated once; the second start does not print it again.
    expect(second.output().stdout).not.toMatch(/shown once/);
    const key2 = await (await fetch(`http://127.0.0.1:${port}/.well-known/khaibao/pass-keys.json`)).text();
    // The generated pass key lives in the database: same key after the restart = data kept.
    expect(key2).toBe(key1);
    await stopWith(second, port, 'SIGINT');
  }, 180_000);

  it(`SIGTERM under Telegram webhook load (${testBackend}): every update answered 200 was processed, the rest refused`, async () => {
    const tg = await startFakeTelegram();
    cleanup.push(() => tg.close());
    const SECRET = 'webhook-secret_0123456789';
    const port = await freePort();
    const dataDir = freshDir();
    let pg: TestDatabase | undefined;
    if (testBackend === 'postgres') {
      pg = await createTestDatabase({ migrate: false });
      cleanup.push(() => pg!.destroy());
    }
    const server = start({
      PORT: String(port),
      ...(pg ? { DATABASE_URL: pg.url! } : { DATA_DIR: dataDir }),
      PUBLIC_URL: 'https://khaibao.test',
      ADMIN_TOKEN: 'x'.repeat(24),
      ...webhookEnv(tg, SECRET),
    });
    await server.readyLine;

    const outcomes = { ok: [] as number[], refused503: 0, connectionRefused: 0, other: [] as string[] };
    let stop = false;
    let nextUser = 8_000_000;
    const sender = async () => {
      while (!stop) {
        const userId = nextUser++;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/telegram/webhook`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
            body: JSON.stringify(tgUpdates.text(tgUser(userId), '/start')),
          });
          await res.arrayBuffer();
          if (res.status === 200) outcomes.ok.push(userId);
          else if (res.status === 503) outcomes.refused503++;
          else outcomes.other.push(String(res.status));
        } catch {
          outcomes.connectionRefused++; // Telegram would redeliver
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    const loadStart = Date.now();
    while (outcomes.ok.length < 40) {
      if (Date.now() - loadStart > 30_000)
        throw new Error(
          `no load got through: ${JSON.stringify({ ...outcomes, ok: outcomes.ok.length })} ${server.output().stderr}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    const tree = processTree(server.child.pid!);
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    const run = await server.exited;
    const stopMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300)); // senders meet the closed port
    stop = true;
    await Promise.all(senders);

    expect(run.code).toBe(0);
    expect(stopMs).toBeLessThan(10_000);
    expect(tree.filter(alive)).toEqual([]);
    expect(outcomes.other).toEqual([]);
    expect(outcomes.connectionRefused).toBeGreaterThan(0);

    const database = pg ?? (await openDatabase({ dataDir }));
    const ids = outcomes.ok.map(String);
    const rows = await queryRows<{ external_id: string }>(
      database.db,
      sql`select external_id from accounts where channel = 'telegram' and external_id in ${ids}`,
    );
    if (!pg) await database.close();
    const processed = new Set(rows.map((r) => r.external_id));
    expect(ids.filter((id) => !processed.has(id))).toEqual([]);
    console.log(
      `SIGTERM under webhook load (${testBackend}): ${outcomes.ok.length} answered 200, all processed; ` +
        `${outcomes.refused503} answered 503, ${outcomes.connectionRefused} connections refused; stopped in ${stopMs} ms, exit ${run.code}`,
    );
  }, 180_000);
});
