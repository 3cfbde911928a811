import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests open sockets and LevelDB directories; forks keep native handles isolated per file.
    pool: 'forks',
  },
});
