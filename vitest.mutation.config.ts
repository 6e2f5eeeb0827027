import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The tests Stryker runs against mutants of src/llm and src/telemetry. Left out: the ops, bench and eval
// suites (deployment files, figures, datasets), the fakes', helpers' and scripts' own tests (they do not
// import src), the browser tests (they check the page, through Chromium, and take seconds each), and the
// tests that run the service as a child process: Stryker switches a mutant on in the vitest worker only,
// so a child process always runs the original code and cannot kill anything.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/ops/**',
        'test/bench/**',
        'test/eval/**',
        'test/fakes/**',
        'test/helpers/**',
        'test/scripts/**',
        'test/main.test.ts',
        'test/reliability/graceful-shutdown.test.ts',
        'test/reliability/loki-outage.test.ts',
        'test/security/redaction.test.ts',
        'test/web/**',
        'test/security/browser-surface.test.ts',
        'test/architecture.test.ts',
      ],
    },
  }),
);
