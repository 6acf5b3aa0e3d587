#!/usr/bin/env node
// `npm test`: the lint (ESLint, Prettier, import cycles), the type check and the vitest suite, run side by side.
// The suite spends much of its time waiting on databases, child processes and sockets, so the checks fit in
// its gaps instead of running before it. Their output is printed when they end; vitest writes as it goes.
// Exits non-zero when any of them fails, and ends with a summary: one line per part, and the last lines of each
// failed part's output again, so a CI log cut to its tail still says what failed.
// Arguments go to vitest (`npm test -- test/pass`).
//
// On PostgreSQL the files in LONG run in a vitest of their own beside the rest: they run real service processes
// for over a minute by design, mostly waiting (three instances sending a 2,000-recipient broadcast at 25/s), and
// in the main run one would hold one of the two workers for its whole length. On PGlite they skip themselves.
// The rest then runs at a lower CPU priority (nice 10), and the long files at a higher one where allowed (nice -5,
// as root): they measure a send rate at the fake Bot API, whose timestamps are only as good as its event loop is
// prompt; on a machine the suite keeps busy that loop was seen 190 ms late, bunching what it recorded. They use
// little CPU and get it at once; the rest gets all that is left.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const TAIL_LINES = 150;

/** Runs one part. `live` parts write as they go; the others are printed when they end. */
function run(name, cmd, args, { live, nice = 0 }) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    if (nice && child.pid) {
      try {
        os.setPriority(child.pid, nice); // before it starts workers, which inherit it
      } catch {
        // a raised priority (below 0) needs root; without it the part runs at the default
      }
    }
    let out = '';
    const take = (stream) => (d) => {
      out += d;
      if (live) stream.write(d);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('error', (err) => (out += `${err.message}\n`));
    child.on('close', (code, signal) => {
      const ok = code === 0;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      const line = `== ${name}: ${ok ? 'ok' : `failed (${signal ?? code})`} in ${secs} s`;
      if (!live && (out.trim() || !ok)) process.stdout.write(`\n== ${name}\n${out}`);
      process.stdout.write(`${line}\n`);
      resolve({ ok, line, out });
    });
  });
}

const LONG = ['test/outbox/three-instances.test.ts'];
const args = process.argv.slice(2);
const apart = process.env.TEST_DATABASE_URL && args.length === 0;
const nice = apart ? 10 : 0;
const results = await Promise.all([
  run('lint', npm, ['run', '--silent', 'lint'], { live: false, nice }),
  run('typecheck', bin('tsc'), ['--noEmit'], { live: false, nice }),
  run('vitest', bin('vitest'), ['run', ...(apart ? LONG.map((f) => `--exclude=${f}`) : args)], { live: true, nice }),
  ...(apart ? [run(`vitest ${LONG.join(' ')}`, bin('vitest'), ['run', ...LONG], { live: false, nice: -5 })] : []),
]);
const failed = results.filter((r) => !r.ok);
for (const r of failed) {
  const lines = r.out.trimEnd().split('\n');
  process.stdout.write(`\n== end of the failed part (${r.line.slice(3)}):\n${lines.slice(-TAIL_LINES).join('\n')}\n`);
}
process.stdout.write(`\n== summary\n${results.map((r) => r.line).join('\n')}\n`);
process.exit(failed.length === 0 ? 0 : 1);
