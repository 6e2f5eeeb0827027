import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLangSmithFeedback } from '../../src/telemetry/sinks/langsmith/feedback.js';
import type { FailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import type { UserFeedback } from '../../src/telemetry/types.js';
import { pollUntil } from '../fakes/http-fake.js';
import { useLangSmithFake } from './langsmith-fixtures.js';

const apiKey = 'ls-feedback-key';
const project = 'feedback-project';
const fake = useLangSmithFake(apiKey);
const runId = '01a219e4-62d8-7d6e-ba3e-83dfe11b270e';
const traceId = 'b'.repeat(32);
const feedbackId = '0b9f0c4e-8f55-4a56-9d0c-2a7b1c3d4e5f';

async function createProject(): Promise<string> {
  const response = await fetch(`${fake().url}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ name: project }),
  });
  return ((await response.json()) as { id: string }).id;
}

function build() {
  const exportFailed = vi.fn();
  const reporter = { exportFailed } as unknown as FailureReporter;
  const redact = <T,>(value: T) => (typeof value === 'string' ? value.replaceAll('secret', '[REDACTED]') : value) as T;
  const sink = createLangSmithFeedback({
    settings: { endpoint: fake().url, apiKey, project } as Parameters<typeof createLangSmithFeedback>[0]['settings'],
    requestTimeoutMs: 60_000,
    reporter,
    redact,
  });
  return { sink, exportFailed };
}

const vote = (overrides: Partial<UserFeedback> = {}): UserFeedback => ({
  id: feedbackId,
  traceId,
  helpful: true,
  first: true,
  promptVersion: 2,
  ...overrides,
});

const settled = async (sink: ReturnType<typeof build>['sink']) => sink.flush(5000);

/** A vote on a known trace, sent while LangSmith stops answering (the project exists already). */
async function voteOnHangingLangSmith() {
  await createProject();
  await fake().setMode('hang');
  const built = build();
  built.sink.rememberRoot(traceId, runId);
  built.sink.record(vote());
  return built;
}

afterEach(() => vi.restoreAllMocks());

describe('LangSmith feedback', () => {
  it('posts a first vote on the remembered root run, with the project, redacted comment and user', async () => {
    const sessionId = await createProject();
    const { sink, exportFailed } = build();
    sink.rememberRoot(traceId, runId);
    sink.record(vote({ comment: 'my secret note', userId: 'user-7' }));
    await settled(sink);
    expect(exportFailed).not.toHaveBeenCalled();
    expect(fake().feedback()).toHaveLength(1);
    expect(fake().feedback()[0]).toMatchObject({
      id: feedbackId,
      run_id: runId,
      session_id: sessionId,
      key: 'user-feedback',
      score: 1,
      comment: 'my [REDACTED] note',
      feedback_source: { metadata: { user_id: 'user-7' } },
    });
  });

  it('scores an unhelpful vote 0, and updates in place a first vote whose id LangSmith already holds', async () => {
    await createProject();
    const { sink, exportFailed } = build();
    sink.rememberRoot(traceId, runId);
    sink.record(vote({ comment: 'fine' }));
    await settled(sink);
    sink.record(vote({ helpful: false }));
    await settled(sink);
    expect(exportFailed).not.toHaveBeenCalled();
    expect(fake().feedback()).toHaveLength(1);
    expect(fake().feedback()[0]).toMatchObject({ id: feedbackId, score: 0, comment: null });
    expect(fake().requests.filter((request) => request.path.startsWith('/feedback')).map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 200',
      'POST 409',
      'PATCH 200',
    ]);
  });

  it('reports a first vote LangSmith refuses for another reason than a duplicate id, without patching it', async () => {
    await createProject();
    const { sink, exportFailed } = build();
    sink.rememberRoot(traceId, runId);
    // LangSmith answers this one POST /feedback with a validation error; everything else reaches the fake.
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) =>
      init?.method === 'POST' && String(input).endsWith('/feedback')
        ? Promise.resolve(new Response(JSON.stringify({ detail: 'score: out of range' }), { status: 422, headers: { 'content-type': 'application/json' } }))
        : realFetch(input, init),
    );
    sink.record(vote());
    await settled(sink);
    expect(exportFailed).toHaveBeenCalledTimes(1);
    expect(exportFailed.mock.calls[0]?.slice(0, 2)).toEqual(['langsmith', 1]);
    expect(exportFailed.mock.calls[0]?.[2]).toMatch(/^feedback failed: .+/);
    expect(fake().requests.filter((request) => request.path.startsWith('/feedback'))).toEqual([]);
  });

  it('patches a replacing vote without posting it', async () => {
    await createProject();
    const { sink } = build();
    sink.rememberRoot(traceId, runId);
    sink.record(vote());
    await settled(sink);
    sink.record(vote({ first: false, helpful: false, comment: 'changed' }));
    await settled(sink);
    expect(fake().requests.filter((request) => request.path.startsWith('/feedback')).map((request) => request.method)).toEqual(['POST', 'PATCH']);
    expect(fake().feedback()[0]).toMatchObject({ score: 0, comment: 'changed' });
  });

  it('reports a vote on an unknown trace and sends nothing', async () => {
    const { sink, exportFailed } = build();
    sink.record(vote());
    await settled(sink);
    expect(exportFailed.mock.calls).toEqual([['langsmith', 1, 'feedback on a trace too old or never traced']]);
    expect(fake().requests).toEqual([]);
  });

  it('reports a failed send, and looks the project up again on the next vote', async () => {
    const { sink, exportFailed } = build();
    sink.rememberRoot(traceId, runId);
    sink.record(vote());
    await settled(sink);
    expect(exportFailed).toHaveBeenCalledTimes(1);
    expect(exportFailed.mock.calls[0]?.slice(0, 2)).toEqual(['langsmith', 1]);
    expect(exportFailed.mock.calls[0]?.[2]).toMatch(/^feedback failed: .+/);
    await createProject();
    sink.record(vote());
    await settled(sink);
    expect(exportFailed).toHaveBeenCalledTimes(1);
    expect(fake().feedback()).toHaveLength(1);
  });

  it('keeps the root runs of the 10 000 most recent traces', async () => {
    await createProject();
    const { sink, exportFailed } = build();
    for (let n = 0; n <= 10_000; n += 1) sink.rememberRoot(`trace-${n}`, runId);
    sink.record(vote({ traceId: 'trace-0' }));
    sink.record(vote({ traceId: 'trace-1' }));
    await settled(sink);
    expect(exportFailed.mock.calls).toEqual([['langsmith', 1, 'feedback on a trace too old or never traced']]);
    expect(fake().feedback()).toHaveLength(1);
  });

  it('does not report an abandoned vote a second time when its send fails after the flush', async () => {
    const { sink, exportFailed } = await voteOnHangingLangSmith();
    await pollUntil(() => fake().requests.length, (count) => count === 2, 5000, (count) => `${count} requests`);
    await sink.flush(50);
    // The SDK retries the aborted project look-up; LangSmith no longer knows the project, so it fails. A
    // second vote shares that look-up: once it is reported, the abandoned vote's send has failed too.
    fake().reset();
    await fake().setMode('ok');
    sink.record(vote({ id: 'another-vote' }));
    await settled(sink);
    expect(exportFailed.mock.calls.map(([sink, count, reason]) => [sink, count, String(reason).split(':')[0]])).toEqual([
      ['langsmith', 1, 'feedback still unsent at shutdown'],
      ['langsmith', 1, 'feedback failed'],
    ]);
  });

  it('counts a vote still unsent at shutdown once, and closes its request', async () => {
    const { sink, exportFailed } = await voteOnHangingLangSmith();
    // The project was created before the hang: the next request is the project look-up, left unanswered.
    await pollUntil(() => fake().requests.length, (count) => count === 2, 5000, (count) => `${count} requests`);
    await sink.flush(50);
    expect(exportFailed.mock.calls).toEqual([['langsmith', 1, 'feedback still unsent at shutdown']]);
    // flush aborted the request; the send then fails, and must not report it a second time.
    await fake().setMode('ok');
    sink.record(vote());
    await settled(sink);
    expect(exportFailed).toHaveBeenCalledTimes(1);
  });
});
