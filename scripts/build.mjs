#!/usr/bin/env node
// Compiles the server and the operator scripts to dist/ (tsconfig.build.json); production runs dist/, never tsx.
//   node scripts/build.mjs             clean rebuild (`npm run build`)
//   node scripts/build.mjs --if-stale  rebuild only when a source is newer than the last build. `prepare` (run by
//                                      `npm ci`) and `prestart` use it, so `npm ci && npm start` and
//                                      `git pull && npm start` both run the current code without paying for a
//                                      compile on every start.
// A production install without dev dependencies has no TypeScript: an existing dist/ is then used as it is.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const ifStale = process.argv.includes('--if-stale');

/** Newest modification time among the inputs of the build. */
function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(path.join(p, e));
    else if (/\.(ts|json)$/.test(p)) newest = Math.max(newest, st.mtimeMs);
  };
  visit(path.join(root, 'src'));
  for (const f of readdirSync(path.join(root, 'scripts'))) if (f.endsWith('.ts')) visit(path.join(root, 'scripts', f));
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) visit(path.join(root, f));
  return newest;
}

if (ifStale && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (existsSync(stamp)) {
    console.error('khaibao: TypeScript is not installed (production install); using the existing dist/');
    process.exit(0);
  }
  console.error(
    'khaibao: dist/ is missing and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`.',
  );
  process.exit(1);
}

const started = Date.now();
console.error('khaibao: compiling to dist/ …');
rmSync(dist, { recursive: true, force: true }); // no compiled leftovers of deleted sources
const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
utimesSync(stamp, started / 1000, started / 1000); // a source saved during the compile still counts as newer
console.error(`khaibao: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
