import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

const LOCK = path.join(ROOT, 'node_modules', '.cache', 'khaibao-build.lock');

/**
 * Compiles to dist/ when a source is newer than the last build, as `prestart` does, so the tests that start the
 * server or an operator script run the compiled JavaScript production runs and no child process pays for a
 * TypeScript loader. Call it from `beforeAll` of such a file. Files run in parallel workers: a lock file makes
 * the second caller wait for the first build (which empties dist/ first) instead of racing it.
 */
export function buildIfStale(): void {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed run is older than any build takes.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(LOCK, { force: true });
      if (Date.now() > deadline) throw new Error(`build lock ${LOCK} held for 5 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/** The compiled file of a source under src/ or scripts/ (`src/main.ts` → `<root>/dist/src/main.js`). */
export function compiled(source: string): string {
  return path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
}

/**
 * The node flags production starts the service with: those of `npm start` (package.json), which the README's
 * systemd unit and container repeat. Tests and benches that start `dist/src/main.js` themselves pass them too.
 */
export function serviceNodeFlags(root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const flags = /\bnode ((?:--\S+ )*)dist\/src\/main\.js/.exec(pkg.scripts.start);
  if (!flags) throw new Error(`package.json's start script does not run dist/src/main.js: ${pkg.scripts.start}`);
  return flags[1]!.split(' ').filter(Boolean);
}
