import { describe, expect, it } from 'vitest';
import { dottedOrderSegment, runIdFromSpan, startTimeWithOrder } from '../../src/telemetry/sinks/langsmith/ids.js';
import { buildRuns, rootRunId } from '../../src/telemetry/sinks/langsmith/runs.js';
import { traceFixture, issueLlmRunUsage } from './langsmith-fixtures.js';

const context = { project: 'ResearcherAI', environment: 'production' };
const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function buildFixture() {
  const fixture = traceFixture();
  const runs = buildRuns(
    { root: fixture.root, agents: [fixture.retriever, fixture.reasoner], llmCalls: [{ record: fixture.llm, parentSpanId: fixture.reasoner.spanId }] },
    context,
  );
  const byName = (name: string) => runs.find((run) => run.name === name)!;
  return { fixture, runs, root: byName('orchestrator'), retriever: byName('retriever'), reasoner: byName('reasoner'), llm: runs.find((run) => run.run_type === 'llm')! };
}

describe('LangSmith run ids', () => {
  it('are UUID v7 carrying the start time, and the same every time for the same span', () => {
    const id = runIdFromSpan(Date.UTC(2026, 0, 1), '0123456789abcdef', 'f'.repeat(32));
    expect(id).toMatch(uuidV7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 0, 1));
    expect(runIdFromSpan(Date.UTC(2026, 0, 1), '0123456789abcdef', 'f'.repeat(32))).toBe(id);
    expect(runIdFromSpan(Date.UTC(2026, 0, 1), '0123456789abcdee', 'f'.repeat(32))).not.toBe(id);
  });

  it('format start times and dotted-order segments as the SDK does', () => {
    const start = startTimeWithOrder(Date.UTC(2026, 10, 26, 9, 8, 7, 65), 3);
    expect(start).toBe('2026-11-26T09:08:07.065003Z');
    expect(dottedOrderSegment(start, 'id')).toBe('20261126T090807065003Zid');
  });
});

describe('buildRuns', () => {
  it('nests retriever and reasoner under the orchestrator and the llm run under the reasoner', () => {
    const { runs, root, retriever, reasoner, llm } = buildFixture();
    expect(runs.map((run) => run.name)).toEqual(['orchestrator', 'retriever', 'reasoner', 'generate_content gemini-2.5-flash']);
    expect(root.parent_run_id).toBeUndefined();
    expect(retriever.parent_run_id).toBe(root.id);
    expect(reasoner.parent_run_id).toBe(root.id);
    expect(llm.parent_run_id).toBe(reasoner.id);
    for (const run of runs) {
      expect(run.id).toMatch(uuidV7);
      expect(run.trace_id).toBe(root.id);
      expect(run.session_name).toBe('ResearcherAI');
    }
  });

  it('gives each run one dotted-order segment per ancestor, ordered by execution', () => {
    const { root, retriever, reasoner, llm } = buildFixture();
    expect(root.dotted_order).toBe(`20261126T120000000001Z${root.id}`);
    expect(retriever.dotted_order).toBe(`${root.dotted_order}.20261126T120000000002Z${retriever.id}`);
    expect(reasoner.dotted_order).toBe(`${root.dotted_order}.20261126T120000002003Z${reasoner.id}`);
    expect(llm.dotted_order).toBe(`${reasoner.dotted_order}.20261126T120000002004Z${llm.id}`);
    expect(llm.start_time).toBe('2026-11-26T12:00:00.002004Z');
  });

  it('gives every run the thread id, keeping each run its own metadata, and none when the query has no session', () => {
    const { runs, reasoner } = buildFixture();
    expect(runs.map((run) => run.extra?.metadata?.session_id)).toEqual(['session-1', 'session-1', 'session-1', 'session-1']);
    expect(reasoner.extra?.metadata).toEqual({ model: 'gemini-2.5-flash', session_id: 'session-1' });
    const fixture = traceFixture();
    fixture.root.trace = { name: 'research-query' };
    const withoutSession = buildRuns({ root: fixture.root, agents: [fixture.reasoner], llmCalls: [{ record: fixture.llm, parentSpanId: fixture.reasoner.spanId }] }, context);
    for (const run of withoutSession) expect(JSON.parse(JSON.stringify(run.extra?.metadata))).not.toHaveProperty('session_id');
  });

  it('puts the request context on the root: tags, user, session, query type, model, prompt and the OTel trace id', () => {
    const { fixture, root } = buildFixture();
    expect(root.run_type).toBe('chain');
    expect(root.tags).toEqual(['production', 'research-query', 'definition', 'simple']);
    const repeated = traceFixture();
    repeated.root.tags = ['production', 'definition', 'definition'];
    expect(buildRuns({ root: repeated.root, agents: [], llmCalls: [] }, context)[0]?.tags).toEqual(['production', 'definition']);
    expect(root.extra?.metadata).toMatchObject({
      user_id: 'user-1',
      session_id: 'session-1',
      query_type: 'definition',
      model: 'gemini-2.5-flash',
      prompt_version: 2,
      otel_trace_id: fixture.root.traceId,
    });
    expect(rootRunId(fixture.root)).toBe(root.id);
  });

  it('renders the retriever output as documents', () => {
    const { retriever } = buildFixture();
    expect(retriever.run_type).toBe('retriever');
    expect(retriever.outputs).toEqual({
      documents: [{ type: 'Document', page_content: 'Retrieval-Augmented Generation', metadata: { id: 'lewis2020rag', title: 'Retrieval-Augmented Generation', score: 1 } }],
    });
  });

  it('gives a document with neither title nor content an empty page, and leaves the documents of other agents as they are', () => {
    const fixture = traceFixture();
    fixture.retriever.outputs = { documents: [{ id: 'untitled' }, { content: 'only text' }] };
    fixture.reasoner.outputs = { documents: [{ id: 'lewis2020rag' }] };
    const runs = buildRuns({ root: fixture.root, agents: [fixture.retriever, fixture.reasoner], llmCalls: [] }, context);
    const outputs = Object.fromEntries(runs.map((run) => [run.name, run.outputs]));
    expect(outputs.retriever).toEqual({
      documents: [
        { type: 'Document', page_content: '', metadata: { id: 'untitled' } },
        { type: 'Document', page_content: 'only text', metadata: { content: 'only text' } },
      ],
    });
    expect(outputs.reasoner).toEqual({ documents: [{ id: 'lewis2020rag' }] });
  });

  it('records the model call as a chat llm run with thinking counted as output and cache reads inside input', () => {
    const { llm } = buildFixture();
    // Input cost includes the cached tokens' (0.0003 + 0.000006), output cost the thinking tokens' (0.00075 + 0.00025).
    const usage = issueLlmRunUsage;
    expect(llm.run_type).toBe('llm');
    expect(llm.inputs).toEqual({
      messages: [
        { role: 'system', content: 'You are a research assistant.' },
        { role: 'user', content: 'Papers: [1] ... Question: What is RAG?' },
      ],
    });
    expect(llm.outputs).toEqual({ role: 'assistant', content: 'RAG retrieves then generates [1].', usage_metadata: usage });
    expect(llm.extra?.metadata).toMatchObject({ ls_provider: 'google', ls_model_name: 'gemini-2.5-flash', ls_model_type: 'chat', usage_metadata: usage });
    expect(llm.end_time).toBe(Date.UTC(2026, 10, 26, 12, 0, 0, 2) + 35);
  });

  it('names the priced model and the provider as recorded: an alias priced under its table id, the offline provider as itself', () => {
    const fixture = traceFixture();
    fixture.llm = { ...fixture.llm, provider: 'offline', request: { ...fixture.llm.request, model: 'gemini-flash-latest' } };
    const runs = buildRuns({ root: fixture.root, agents: [], llmCalls: [{ record: fixture.llm, parentSpanId: fixture.root.spanId }] }, context);
    expect(runs[1]?.extra?.metadata).toMatchObject({ ls_provider: 'offline', ls_model_name: 'gemini-2.5-flash' });
  });

  it('records errors on their runs and leaves out the cost of an unpriced call', () => {
    const fixture = traceFixture();
    fixture.llm = { ...fixture.llm, status: 'error', response: undefined, error: { type: 'server_error', message: 'overloaded' }, cost: { pricedModel: undefined, costUsd: null, details: null } };
    fixture.reasoner.error = 'overloaded';
    fixture.root.error = 'overloaded';
    const runs = buildRuns({ root: fixture.root, agents: [fixture.reasoner], llmCalls: [{ record: fixture.llm, parentSpanId: fixture.reasoner.spanId }] }, context);
    const llm = runs.find((run) => run.run_type === 'llm')!;
    expect(llm.error).toBe('server_error: overloaded');
    expect(llm.outputs).toBeUndefined();
    expect(llm.extra?.metadata?.usage_metadata).not.toHaveProperty('total_cost');
    expect(runs.filter((run) => run.error === 'overloaded').map((run) => run.name)).toEqual(['orchestrator', 'reasoner']);
  });

  it('keeps parents before children even when a child claims an earlier start, and survives a parent cycle', () => {
    const fixture = traceFixture();
    fixture.llm.startedAt = fixture.reasoner.startedAt - 5;
    fixture.retriever.parentSpanId = fixture.reasoner.spanId;
    fixture.reasoner.parentSpanId = fixture.retriever.spanId;
    const runs = buildRuns(
      { root: fixture.root, agents: [fixture.retriever, fixture.reasoner], llmCalls: [{ record: fixture.llm, parentSpanId: fixture.reasoner.spanId }] },
      context,
    );
    expect(runs).toHaveLength(4);
    const position = new Map(runs.map((run, index) => [run.id, index]));
    expect(runs[0]?.parent_run_id).toBeUndefined();
    // Every other run has a parent, and that parent comes before it.
    for (const [index, run] of runs.entries()) {
      if (index === 0) continue;
      expect(position.get(run.parent_run_id), run.name).toBeLessThan(index);
    }
  });

  it('orders siblings by start time, whatever order their records arrived in', () => {
    const fixture = traceFixture();
    const later = { ...fixture.retriever, name: 'later', spanId: 'c'.repeat(16), startedAt: fixture.root.startedAt + 9 };
    const runs = buildRuns({ root: fixture.root, agents: [later, fixture.reasoner, fixture.retriever], llmCalls: [] }, context);
    expect(runs.map((run) => run.name)).toEqual(['orchestrator', 'retriever', 'reasoner', 'later']);
    expect(runs.map((run) => run.start_time)).toEqual(['2026-11-26T12:00:00.000001Z', '2026-11-26T12:00:00.000002Z', '2026-11-26T12:00:00.002003Z', '2026-11-26T12:00:00.009004Z']);
  });

  it('hangs a record whose parent is not in the trace under the root', () => {
    const fixture = traceFixture();
    const runs = buildRuns({ root: fixture.root, agents: [], llmCalls: [{ record: fixture.llm, parentSpanId: 'not-in-trace' }] }, context);
    expect(runs[1]?.parent_run_id).toBe(runs[0]?.id);
    expect(runs[1]?.dotted_order?.split('.')).toHaveLength(2);
  });
});
