import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files in parallel forks, each with its own database.
    pool: 'forks',
    maxWorkers: process.env.CI ? 2 : undefined,
  },
});
