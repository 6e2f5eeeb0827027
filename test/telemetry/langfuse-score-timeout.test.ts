import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createScoreSink } from '../../src/telemetry/sinks/langfuse-scores.js';
import type { FailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';

// A score send to a LangFuse that does not answer gives up at the export timeout (rounded up to whole
// seconds), not at the SDK's own 60 s default. Fake timers stand in for the SDK's abort timer.
let langfuse: LangfuseFake;
beforeAll(async () => {
  langfuse = await startLangfuseFake({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' });
  await langfuse.setMode('hang');
});
afterEach(() => vi.useRealTimers());
afterAll(() => langfuse?.close());

describe('LangFuse score delivery timeout', () => {
  it('counts a score as failed once the export timeout passed without an answer', async () => {
    const failures: unknown[][] = [];
    const reporter = { exportFailed: (...args: unknown[]) => void failures.push(args) } as unknown as FailureReporter;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sink = createScoreSink({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: langfuse.url }, 2500, reporter);
    sink.record({ id: 'vote-1', traceId: 'ab'.repeat(16), name: 'user-feedback', value: 1 });
    // Not vi.waitFor: under fake timers it advances the clock while it polls.
    for (let turn = 0; turn < 10_000 && langfuse.requests.length === 0; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(langfuse.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(failures).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(failures).toEqual([['langfuse', 1, expect.stringMatching(/^score export failed: /)]]));
  });
});
