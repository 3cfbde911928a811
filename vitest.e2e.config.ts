import { defineConfig } from 'vitest/config';

// `npm run e2e` (e2e/run.ts) drives the real control plane, then runs these assertions on the
// artifacts it left in test-artifacts/e2e/.
export default defineConfig({
  test: {
    include: ['e2e/tests/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
