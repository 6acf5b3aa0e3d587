#!/usr/bin/env node
// `npm test`: the lint (ESLint, Prettier, import cycles), the type check and the vitest suite, run side by side.
// The suite spends much of its time waiting on databases, child processes and sockets, so the checks fit in
// its gaps instead of running before it. Their output is printed when they end; vitest writes as it goes.
// Exits non-zero when any of them fails. Arguments go to vitest (`npm test -- test/pass`).
//
// On PostgreSQL the files in LONG run in a vitest of their own beside the rest: they run real service processes
// for over a minute by design, mostly waiting (three instances sending a 2,000-recipient broadcast at 25/s), and
// in the main run one would hold one of the two workers for its whole length. On PGlite they skip themselves.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(name, cmd, args, { buffered }) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let out = '';
    if (buffered) {
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    child.on('error', (err) => (out += `${err.message}\n`));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      if (buffered && (out.trim() || !ok)) process.stdout.write(`\n== ${name}\n${out}`);
      process.stdout.write(`== ${name}: ${ok ? 'ok' : `failed (${signal ?? code})`} in ${secs} s\n`);
      resolve(ok);
    });
  });
}

const LONG = ['test/outbox/three-instances.test.ts'];
const args = process.argv.slice(2);
const apart = process.env.TEST_DATABASE_URL && args.length === 0;
const results = await Promise.all([
  run('lint', npm, ['run', '--silent', 'lint'], { buffered: true }),
  run('typecheck', bin('tsc'), ['--noEmit'], { buffered: true }),
  run('vitest', bin('vitest'), ['run', ...(apart ? LONG.map((f) => `--exclude=${f}`) : args)], { buffered: false }),
  ...(apart ? [run(`vitest ${LONG.join(' ')}`, bin('vitest'), ['run', ...LONG], { buffered: true })] : []),
]);
process.exit(results.every(Boolean) ? 0 : 1);
