import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScoreSink } from '../../src/telemetry/sinks/langfuse-scores.js';
import type { FailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';

// Scores through @langfuse/client's ingestion API against the fake: what arrives, that flush waits for it,
// and that a failed send is counted with its reason.
let langfuse: LangfuseFake;
beforeAll(async () => {
  langfuse = await startLangfuseFake({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' });
});
beforeEach(async () => {
  await langfuse.setMode('ok');
  langfuse.reset();
});
afterAll(() => langfuse?.close());

function scoreSink() {
  const failures: Array<[string, number, string]> = [];
  const reporter = { exportFailed: (sink: string, dropped: number, reason: string) => void failures.push([sink, dropped, reason]) } as unknown as FailureReporter;
  const sink = createScoreSink({ publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', baseUrl: langfuse.url }, 5000, reporter);
  return { sink, failures };
}

const traceId = 'ab'.repeat(16);

describe('LangFuse score delivery', () => {
  it('sends a boolean score with its id, trace, comment and metadata, and flush waits for it', async () => {
    const { sink, failures } = scoreSink();
    sink.record({ id: 'vote-1', traceId, name: 'user-feedback', value: 0, comment: 'wrong', metadata: { user_id: 'user-1' } });
    await sink.flush();
    expect(langfuse.scores()).toEqual([
      expect.objectContaining({ id: 'vote-1', traceId, name: 'user-feedback', value: 0, dataType: 'BOOLEAN', comment: 'wrong', metadata: { user_id: 'user-1' } }),
    ]);
    expect(failures).toEqual([]);
  });

  it('counts a score LangFuse refused inside an accepted batch, with the reason', async () => {
    const { sink, failures } = scoreSink();
    sink.record({ id: 'vote-3', traceId, name: 'user-feedback', value: 0.5 });
    await sink.flush();
    expect(failures).toEqual([['langfuse', 1, 'score rejected']]);
    expect(langfuse.scores()).toEqual([]);
  });

  it('frees a delivered score’s place in the backlog: 1000 delivered scores leave room for the next', async () => {
    const { sink, failures } = scoreSink();
    for (let index = 0; index < 1000; index += 1) sink.record({ id: `vote-${index}`, traceId, name: 'user-feedback', value: 1 });
    await sink.flush();
    sink.record({ id: 'vote-1000', traceId, name: 'user-feedback', value: 0 });
    await sink.flush();
    expect(failures).toEqual([]);
    expect(langfuse.scores()).toHaveLength(1001);
  });

  it('counts a score LangFuse failed to take, with the reason', async () => {
    await langfuse.setMode('fail');
    const { sink, failures } = scoreSink();
    sink.record({ id: 'vote-2', traceId, name: 'user-feedback', value: 1 });
    await sink.flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.slice(0, 2)).toEqual(['langfuse', 1]);
    expect(failures[0]?.[2]).toMatch(/^score export failed: .+/);
  });
});
