import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Worker threads and SharedArrayBuffers are what the engines are about: run test files in
    // forked processes so a wedged worker cannot take the runner down with it.
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['harness/**/*.ts', 'models/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
