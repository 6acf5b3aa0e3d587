#!/usr/bin/env node
// Fails when src/db/schema and the committed migrations/ disagree (someone changed the schema and did not
// run `npm run db:generate`). Generates into a scratch copy, so the tree is never touched.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';

// drizzle-kit mangles absolute --out paths, so the scratch copy lives (git-ignored) in the tree.
const scratch = mkdtempSync('.migrations-check-');
try {
  cpSync('migrations', scratch, { recursive: true });
  const before = readdirSync(scratch).length;
  const out = execFileSync(
    'npx',
    ['drizzle-kit', 'generate', '--dialect', 'postgresql', '--schema', './src/db/schema/index.ts', '--out', scratch],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const after = readdirSync(scratch).length;
  if (after !== before) {
    console.error(
      'The schema in src/db/schema differs from the committed migrations. Run `npm run db:generate` and commit migrations/.',
    );
    console.error(out);
    process.exitCode = 1;
  }
  console.log('migrations match the schema');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
