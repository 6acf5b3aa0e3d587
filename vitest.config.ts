import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One migrated template per run; each file's database is a copy of it (test/helpers/db.ts).
    globalSetup: ['test/global-setup.ts'],
    // Two cores: files in parallel forks, each with its own database.
    pool: 'forks',
    // A worker runs its files one after another in one process, so the service's modules are imported once per
    // worker, not once per file (that import was half the suite's time). Files share no state through them:
    // each builds its own service, database and fakes, and no test mocks a module or changes process.env.
    isolate: false,
    // PGlite's WebAssembly kept at V8's baseline code, as the service runs it on PGlite (src/main.ts,
    // preferSmallFootprint): no optimising recompile of PostgreSQL in every worker. All files on PGlite: 87-92 s
    // against 92-95 s without it (two runs each, `CI=true npx vitest run`).
    execArgv: ['--liftoff-only'],
    maxWorkers: process.env.CI ? 2 : undefined,
  },
});
