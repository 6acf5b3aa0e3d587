import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const dirs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startMain(env: Record<string, string>) {
  const child = spawn(tsx, ['src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const readyLine = new Promise<void>((resolve, reject) => {
    const check = () => (stdout.includes('khaibao is ready') ? resolve() : undefined);
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`exited before ready: ${stderr}`)));
  });
  readyLine.catch(() => {}); // awaited only by tests that expect a start
  return { child, exited, readyLine, output: () => ({ stdout, stderr }) };
}

function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'khaibao-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the server process', () => {
  it('refuses a bad configuration with one line per variable and exit code 1', async () => {
    const run = await startMain({ PORT: 'abc', PUBLIC_URL: 'nope' }).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+- PORT /m);
    expect(run.stderr).toMatch(/^\s+- PUBLIC_URL /m);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('starts on PGlite with nothing configured, keeps data across a restart, and stops on SIGTERM within 10 s', async () => {
    const dataDir = freshDir();
    const port = String(31000 + Math.floor(Math.random() * 2000));
    const first = startMain({ DATA_DIR: dataDir, PORT: port });
    await first.readyLine;
    expect(first.output().stdout).toContain(`http://localhost:${port}/chat`);
    expect(first.output().stdout).toMatch(/admin token \(shown once/);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const key1 = await (await fetch(`http://127.0.0.1:${port}/.well-known/khaibao/pass-keys.json`)).text();

    const t0 = Date.now();
    first.child.kill('SIGTERM');
    const run1 = await first.exited;
    expect(run1.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const second = startMain({ DATA_DIR: dataDir, PORT: port });
    await second.readyLine;
    // The admin token was generated once; the second start does not print it again.
    expect(second.output().stdout).not.toMatch(/shown once/);
    const key2 = await (await fetch(`http://127.0.0.1:${port}/.well-known/khaibao/pass-keys.json`)).text();
    // The generated pass key lives in the database: same key after the restart = data kept.
    expect(key2).toBe(key1);
    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
  }, 60_000);
});
