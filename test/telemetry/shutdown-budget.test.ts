import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTelemetry, type StartedTelemetry } from '../../src/telemetry/index.js';

// How shutdown splits its time budget: the sinks flush in parallel for what is left after the logger's
// share (a quarter, at most 2 s), and the logger, which closes last, gets whatever the flushes left.
// Fake timers stand in for the hung sinks' wait.
const loggerCloses = vi.hoisted(() => [] as Array<{ at: number; budgetMs: number }>);
vi.mock('../../src/telemetry/sinks/logs.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/telemetry/sinks/logs.js')>();
  return {
    ...original,
    closeLogger: (logger: pino.Logger, budgetMs: number) => {
      loggerCloses.push({ at: Date.now(), budgetMs });
      return original.closeLogger(logger, budgetMs);
    },
  };
});

const langsmithEnv = { LOG_LEVEL: 'silent', LANGSMITH_TRACING: 'true', LANGSMITH_API_KEY: 'lsv2_test', LANGSMITH_ENDPOINT: 'http://127.0.0.1:9' };
const hang = () => new Promise<void>(() => undefined);

/** Makes LangFuse's and LangSmith's flushes hang, or finish at once; returns the budgets LangSmith was given. */
function flushes(telemetry: StartedTelemetry, behaviour: 'hang' | 'finish') {
  const langsmithBudgets: number[] = [];
  telemetry.sinks.langfuse.flush = () => (behaviour === 'hang' ? hang() : Promise.resolve());
  telemetry.sinks.langsmith!.flush = (budgetMs: number) => {
    langsmithBudgets.push(budgetMs);
    return behaviour === 'hang' ? hang() : Promise.resolve();
  };
  return langsmithBudgets;
}

/** Runs shutdown under fake timers and returns when it settled, in ms after it began. */
async function settledAfter(telemetry: StartedTelemetry, budgetMs: number): Promise<number> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const startedAt = Date.now();
  let settledAt: number | undefined;
  void telemetry.shutdown(budgetMs).then(() => (settledAt = Date.now() - startedAt));
  for (let elapsed = 0; settledAt === undefined && loggerCloses.length === 0 && elapsed <= budgetMs; elapsed += 1) await vi.advanceTimersByTimeAsync(1);
  // The logger's stream closes on real I/O, which no fake millisecond brings closer (in a worker thread, as
  // Stryker runs the tests, advancing the clock outran it): wait for it with the clock stopped.
  if (loggerCloses.length > 0) await vi.waitFor(() => expect(settledAt).toBeDefined());
  loggerCloses.forEach((close) => (close.at -= startedAt));
  if (settledAt === undefined) throw new Error(`shutdown(${budgetMs}) had not settled after its budget`);
  return settledAt;
}

afterEach(() => {
  vi.useRealTimers();
  loggerCloses.length = 0;
});

describe('telemetry shutdown budget', () => {
  it.each([
    { budgetMs: 8000, loggerShareMs: 2000 },
    { budgetMs: 4000, loggerShareMs: 1000 },
    { budgetMs: 20_000, loggerShareMs: 2000 },
  ])('gives hung sinks $budgetMs ms minus the logger’s share of $loggerShareMs ms, then closes the logger with that share', async ({ budgetMs, loggerShareMs }) => {
    const telemetry = startTelemetry(loadConfig(langsmithEnv));
    const langsmithBudgets = flushes(telemetry, 'hang');
    await settledAfter(telemetry, budgetMs);
    expect(langsmithBudgets).toEqual([budgetMs - loggerShareMs]);
    expect(loggerCloses).toEqual([{ at: budgetMs - loggerShareMs, budgetMs: loggerShareMs }]);
  });

  it('leaves the logger the whole budget when every flush finishes at once', async () => {
    const telemetry = startTelemetry(loadConfig(langsmithEnv));
    flushes(telemetry, 'finish');
    await settledAfter(telemetry, 8000);
    expect(loggerCloses).toEqual([{ at: 0, budgetMs: 8000 }]);
  });

  it('gives the sinks the whole budget and leaves open a logger the caller passed in', async () => {
    const telemetry = startTelemetry(loadConfig(langsmithEnv), { logger: pino({ level: 'silent' }) });
    const langsmithBudgets = flushes(telemetry, 'hang');
    expect(await settledAfter(telemetry, 1000)).toBe(1000);
    expect(langsmithBudgets).toEqual([1000]);
    expect(loggerCloses).toEqual([]);
  });
});
