import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The tests Stryker runs against mutants of src/llm and src/telemetry. The ops, bench and eval suites
// check deployment files, figures and datasets, not these modules' behaviour, and would only slow every
// mutant down; the fakes' own tests and the script tests do not import src at all.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ['test/ops/**', 'test/bench/**', 'test/eval/**', 'test/fakes/**', 'test/scripts/**', 'test/helpers/**'],
    },
  }),
);
