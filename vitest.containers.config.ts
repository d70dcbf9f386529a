import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/containers/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
