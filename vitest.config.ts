import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Several suites start child processes (fake Loki, the service, Prometheus); on 2 cores
    // running them all at once makes timings flaky without making the run faster.
    maxWorkers: 2,
  },
});
