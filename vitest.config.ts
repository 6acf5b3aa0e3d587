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
    maxWorkers: process.env.CI ? 2 : undefined,
  },
});
