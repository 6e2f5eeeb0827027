// Mutation testing of the code that measures: the LLM client and the telemetry layer (docs/TESTING.md).
// Run with `npm run mutation`; not part of .ci/run, which it would slow down by far too much.

const typescript5 = new URL('./tools/mutation/typescript-5.mjs', import.meta.url).href;
// This process rewrites the tsconfig in the sandbox with TypeScript too.
await import(typescript5);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Each mutant runs only the test files that import the mutated file (the vitest runner's related mode).
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  mutate: ['src/llm/**/*.ts', 'src/telemetry/**/*.ts'],
  // Mutants that do not type-check are dropped before any test runs (they would only be "killed" by a
  // type error nobody ships). The checker and Stryker's tsconfig rewriting need the classic compiler API,
  // which TypeScript 7 no longer has, so they get their own TypeScript 5.9 (tools/mutation, loaded by the
  // `--import` below); the project itself keeps building with TypeScript 7.
  checkers: ['typescript'],
  checkerNodeArgs: ['--import', typescript5],
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // Two shared cores: one test process per core.
  concurrency: 2,
  // A mutant that hangs (a lost abort, a timer never cleared) is cut this long after the tests' own time.
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: 'reports/mutation/.stryker-tmp',
  cleanTempDir: 'always',
};
