import { defineConfig } from 'vitest/config';

// The tests Stryker runs against mutants of src/llm and src/telemetry (docs/TESTING.md, "Mutation testing"):
// the unit tests of those folders, which build what they check inside each test. Left out, because they
// cannot make a 30-minute run: tests that build the whole app in `beforeAll` (every mutant they reach there
// is "static" for Stryker, which then re-runs every related file, app builds included, for each one), tests
// that run the service as a child process or drive Chromium (a mutant is switched on in the vitest worker
// only, so they cannot kill anything), and the ops, bench, eval and fakes suites (they do not import these
// folders). The whole suite still runs in `npm test`.
export default defineConfig({
  test: {
    include: ['test/llm/**/*.test.ts', 'test/telemetry/**/*.test.ts'],
    exclude: [
      // These build the app (test/helpers/app.ts) in beforeAll; the unit tests next to them cover the same code.
      'test/llm/client-failures.test.ts',
      // Builds the telemetry layer (NodeSDK included) in beforeAll; client-semantics and gemini-provider cover it.
      'test/llm/client.test.ts',
      'test/telemetry/langsmith.test.ts',
      'test/telemetry/langsmith-shutdown.test.ts',
      'test/telemetry/throwing-sinks.test.ts',
      'test/telemetry/agent-spans.test.ts',
      'test/telemetry/cache-hit-sinks.test.ts',
      'test/telemetry/prometheus-genai.test.ts',
    ],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
