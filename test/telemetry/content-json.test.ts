import type { RunCreate } from 'langsmith/schemas';
import { describe, expect, it } from 'vitest';
import { serializeRuns, type MadeJson } from '../../src/telemetry/sinks/langsmith/multipart.js';
import { createContentJson, promptMessages } from '../../src/telemetry/support/content-json.js';
import { traceFixture } from './langsmith-fixtures.js';

// The JSON of a record's content is made once and shared by LangFuse and LangSmith. These tests make a
// value's JSON, then change the value: what is written afterwards shows whether the made JSON was reused.
const jsonOf = (run: RunCreate, made?: MadeJson) => serializeRuns([run], undefined, made)[0]!.json.toString('utf8');

describe('content JSON made once', () => {
  it('keeps a value’s JSON for one take when shared, then forgets it', () => {
    const content = createContentJson(true);
    const inputs = { query: 'naïve RAG — “quoted”', top_k: 5 };
    expect(content.take(inputs)).toBeUndefined();
    const json = content.json(inputs);
    expect(json).toBe(JSON.stringify(inputs));
    inputs.top_k = 6;
    expect(content.json(inputs)).toBe(json);
    expect(content.take({ ...inputs })).toBeUndefined();
    expect(content.take(inputs)).toBe(json);
    expect(content.take(inputs)).toBeUndefined();
    expect(content.json(inputs)).toBe(JSON.stringify(inputs));
    expect(content.take('text')).toBeUndefined();
    expect(content.take(null)).toBeUndefined();
  });

  it('keeps nothing when only one sink sends the content', () => {
    const content = createContentJson(false);
    const inputs = { query: 'RAG' };
    expect(content.json(inputs)).toBe('{"query":"RAG"}');
    inputs.query = 'changed';
    expect(content.json(inputs)).toBe('{"query":"changed"}');
    expect(content.take(inputs)).toBeUndefined();
  });

  it('gives one messages array per request, system then user', () => {
    const { llm } = traceFixture();
    const messages = promptMessages(llm.request);
    expect(messages).toEqual([
      { role: 'system', content: llm.request.system },
      { role: 'user', content: llm.request.prompt },
    ]);
    expect(promptMessages(llm.request)).toBe(messages);
    expect(promptMessages({ ...llm.request })).not.toBe(messages);
  });
});

describe('a LangSmith run’s JSON', () => {
  const fields = { id: '01a219e4-62d8-7d6e-ba3e-83dfe11b270e', name: 'orchestrator', run_type: 'chain' };

  it('is the run’s JSON with its inputs and outputs last', () => {
    const run: RunCreate = {
      ...fields,
      inputs: { query: 'naïve RAG — “quoted”', when: new Date(Date.UTC(2026, 10, 28)), skipped: undefined, nested: [{ a: null }] },
      outputs: { answer: 'ok\n"quoted"', unsent: () => 1 } as unknown as RunCreate['outputs'],
      extra: { metadata: { session_id: 'session-1' } },
      tags: ['a'],
    };
    const { inputs, outputs, ...rest } = run;
    expect(jsonOf(run)).toBe(JSON.stringify({ ...rest, inputs, outputs }));
  });

  it('leaves out inputs and outputs that are absent, and stays valid JSON when they are the only fields', () => {
    expect(jsonOf({ ...fields } as unknown as RunCreate)).toBe(JSON.stringify(fields));
    expect(jsonOf({ ...fields, outputs: { answer: 'ok' } } as unknown as RunCreate)).toBe(JSON.stringify({ ...fields, outputs: { answer: 'ok' } }));
    expect(jsonOf({ inputs: { q: 1 }, outputs: { a: 2 } } as unknown as RunCreate)).toBe('{"inputs":{"q":1},"outputs":{"a":2}}');
    expect(jsonOf({ ...fields, inputs: [1, 2] } as unknown as RunCreate)).toBe(JSON.stringify({ ...fields, inputs: [1, 2] }));
    expect(jsonOf({ ...fields, inputs: null } as unknown as RunCreate)).toBe(JSON.stringify({ ...fields, inputs: null }));
  });

  it('reuses the JSON LangFuse made for its inputs or outputs, once', () => {
    const content = createContentJson(true);
    const inputs = { query: 'What is RAG?' };
    const outputs = { answer: 'RAG retrieves then generates.' };
    const madeInputs = content.json(inputs);
    const madeOutputs = content.json(outputs);
    inputs.query = 'changed after the JSON was made';
    outputs.answer = 'changed too';
    expect(jsonOf({ ...fields, inputs, outputs }, content.take)).toBe(`${JSON.stringify(fields).slice(0, -1)},"inputs":${madeInputs},"outputs":${madeOutputs}}`);
    // Taken: a second run with the same values writes them as they are now.
    expect(jsonOf({ ...fields, inputs, outputs }, content.take)).toBe(JSON.stringify({ ...fields, inputs, outputs }));
  });

  it('reuses, one level down, the JSON made for a field (the prompt messages of a model call)', () => {
    const content = createContentJson(true);
    const { llm } = traceFixture();
    const messages = promptMessages(llm.request);
    const made = content.json(messages);
    const changed = { ...messages[1]!, content: 'changed after the JSON was made' };
    const inputs = { messages: Object.assign([...messages], { 1: changed }), model: 'gemini-2.5-flash' };
    // A different array: nothing made for it.
    expect(jsonOf({ ...fields, inputs }, content.take)).toBe(JSON.stringify({ ...fields, inputs }));
    const sameArray = { messages, model: 'gemini-2.5-flash' };
    messages.push({ role: 'user', content: 'pushed after the JSON was made' });
    expect(jsonOf({ ...fields, inputs: sameArray }, content.take)).toBe(`${JSON.stringify(fields).slice(0, -1)},"inputs":{"messages":${made},"model":"gemini-2.5-flash"}}`);
    messages.pop();
  });

  it('writes a value with toJSON or of a class as JSON.stringify does, not field by field', () => {
    const inputs = { toJSON: () => ({ replaced: true }), hidden: 1 };
    expect(jsonOf({ ...fields, inputs } as unknown as RunCreate)).toBe(JSON.stringify({ ...fields, inputs }));
    class Query {
      constructor(readonly text: string) {}
      toJSON() {
        return `query: ${this.text}`;
      }
    }
    const classInputs = new Query('RAG') as unknown as RunCreate['inputs'];
    expect(jsonOf({ ...fields, inputs: classInputs })).toBe(JSON.stringify({ ...fields, inputs: classInputs }));
  });
});
