import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startTelemetry } from '../../src/telemetry/index.js';
import { startFakeSinks } from '../helpers/fake-sinks.js';
import { traceFixture } from './langsmith-fixtures.js';

// With LangFuse and LangSmith both on, a record's content is turned into JSON once and both receive that
// same text (support/content-json.ts). A record changed after LangFuse wrote it shows it: LangSmith's runs,
// built after the trace ended, still carry what LangFuse received. Its own file: NodeSDK registers the
// process-wide tracer provider once per process.
describe('content shared by LangFuse and LangSmith', () => {
  it('sends both sinks the same JSON of the root’s inputs and outputs and of the prompt, made once', async () => {
    const fakes = await startFakeSinks();
    onTestFinished(() => fakes.close());
    const config = loadConfig({ ...fakes.telemetryEnv, TELEMETRY_EXPORT_TIMEOUT_MS: '3000' });
    const telemetry = startTelemetry(config, { logger: pino({ level: 'silent' }, new Writable({ write: (_chunk, _encoding, done) => done() })) });
    const { llm } = traceFixture();
    const inputs = { query: 'What is RAG?' };
    const outputs = { answer: 'RAG retrieves, then generates.' };
    await telemetry.runAgent({ name: 'orchestrator', inputs, trace: { name: 'research-query', sessionId: 'session-1' } }, async (run) => {
      const call = telemetry.startLlmCall(llm.request, 'gcp.gemini');
      call.finish({ ...llm, traceId: call.traceId, spanId: call.spanId });
      run.setOutputs(outputs);
      // Changed after LangFuse wrote them, before LangSmith builds its runs (after the trace ended).
      inputs.query = 'changed afterwards';
      outputs.answer = 'changed afterwards';
    });
    await telemetry.shutdown(5000);

    const root = fakes.langfuse.observations().find(({ type }) => type === 'agent')!;
    expect(root.attributes['langfuse.trace.input']).toBe('{"query":"What is RAG?"}');
    expect(root.attributes['langfuse.trace.output']).toBe('{"answer":"RAG retrieves, then generates."}');
    const runs = fakes.langsmith.runs();
    expect(runs.find(({ run_type }) => run_type === 'chain')).toMatchObject({
      inputs: { query: 'What is RAG?' },
      outputs: { answer: 'RAG retrieves, then generates.' },
    });
    const generation = fakes.langfuse.observations().find(({ type }) => type === 'generation')!;
    expect(runs.find(({ run_type }) => run_type === 'llm')?.inputs).toEqual({ messages: generation.input });
  });
});
