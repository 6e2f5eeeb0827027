// Mutation testing of the code that measures: the LLM client and the telemetry layer (docs/TESTING.md).
// Run with `npm run mutation`; not part of .ci/run, which it would slow down by far too much.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Each mutant runs only the test files that import the mutated file (the vitest runner's related mode).
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  mutate: ['src/llm/**/*.ts', 'src/telemetry/**/*.ts'],
  // No TypeScript checker: @stryker-mutator/typescript-checker needs the classic compiler API, which
  // TypeScript 7 no longer has, and npm cannot give a peer dependency its own TypeScript 5.9.
  // Mutants that do not type-check run anyway (vitest strips types) and are killed or judged like the rest.
  // Stryker rewrites tsconfig.json paths with the TypeScript compiler API, missing in TypeScript 7; this
  // tsconfig has no `extends` or `references` to rewrite, so pointing at no file skips that step.
  tsconfigFile: 'tsconfig.none.json',
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
