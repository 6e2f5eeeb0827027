import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { OtlpExportProcessor } from '../../src/telemetry/sinks/otlp-export.js';
import type { RecordSink } from '../../src/telemetry/types.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';
import { pollUntil } from '../fakes/http-fake.js';
import { startOtlpReceiver, type OtlpReceiver } from '../fakes/otlp.js';
import { emitTrace, traceFixture } from './langsmith-fixtures.js';
import { observeLangSmith } from './langsmith-sink-helpers.js';

// The sinks' arenas take 1 MiB slabs and write a slab anew once nothing queued reads it: these tests push
// several MiB of distinct content through them, so that slabs are reused while other items still wait,
// and check that every item arrives as it was written.
const slabBytes = 1024 * 1024;
const slabsTaken = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.filter(([bytes]) => bytes === slabBytes).length;
/** About 40 KB of text that differs from item to item: 23 of them fill a slab. */
const content = (index: number) => `${index}:${String.fromCharCode(65 + (index % 26)).repeat(40_000)}`;

afterEach(() => vi.restoreAllMocks());

async function otlpReceiver() {
  const otlp = await startOtlpReceiver();
  onTestFinished(() => otlp.close());
  return otlp;
}

/** Spans whose prompt did not arrive as it was written, by name. */
const garbled = (otlp: OtlpReceiver) => otlp.spans().filter(({ name, attributes }) => attributes['gen_ai.input.messages'] !== content(Number(name.slice('span '.length))));

/** Ends spans `from` to `from + count - 1`, each with its own prompt, through an exporter posting to `url`. */
function spanEnder(url: string) {
  const processor = new OtlpExportProcessor({
    destinations: [{ sink: 'langfuse', url, accept: () => true, withContent: true }],
    maxQueueSize: 10_000,
    maxQueueBytes: 64 * 1024 * 1024,
    maxExportBatchSize: 10,
    scheduledDelayMillis: 60_000,
    timeoutMillis: 5000,
    reporter: createFailureReporter(createMetrics(), () => undefined),
    maskText: (text) => text,
  });
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('slab-reuse');
  return (from: number, count: number) => {
    for (let index = from; index < from + count; index += 1) tracer.startSpan(`span ${index}`, { attributes: { 'gen_ai.input.messages': content(index) } }).end();
  };
}

describe('slabs written anew', () => {
  it('OTLP: spans still queued keep their bytes while spans ended meanwhile reuse the exported ones’ slabs', async () => {
    // Each export is answered after 100 ms. A slab takes 23 of these spans. While the fourth batch
    // (spans 30-39) is being posted, the first slab has been released and spans 40-59 still wait in the
    // second and third; a second wave of 60 ends then: it fills the third slab, reuses the first and
    // takes two more (six without reuse).
    const otlp = await otlpReceiver();
    otlp.setDelay(100);
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const endSpans = spanEnder(`${otlp.url}/v1/traces`);
    endSpans(0, 60);
    await pollUntil(() => otlp.requests.length, (count) => count === 4, 5000, (count) => `${count} exports`);
    endSpans(60, 60);
    await pollUntil(() => otlp.spans().length, (count) => count === 120, 10_000, (count) => `${count} spans received`);
    expect(new Set(otlp.spans().map(({ name }) => name)).size).toBe(120);
    expect(garbled(otlp).map(({ name }) => name)).toEqual([]);
    expect(slabsTaken(slabs)).toBe(5);
  });

  it('OTLP: exports in waves take no new slab once two are spare', async () => {
    const otlp = await otlpReceiver();
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const endSpans = spanEnder(`${otlp.url}/v1/traces`);
    for (let wave = 0; wave < 5; wave += 1) {
      endSpans(wave * 40, 40);
      await pollUntil(() => otlp.spans().length, (count) => count === (wave + 1) * 40, 10_000, (count) => `${count} spans received`);
    }
    // Each wave fills about two slabs: 9 without reuse; the current slab and two spares with it.
    expect(slabsTaken(slabs)).toBe(3);
    expect(garbled(otlp).map(({ name }) => name)).toEqual([]);
  });

  it('LangSmith: traces queued behind posts in flight keep their bytes while a new wave is serialised', async () => {
    // An older server: /runs/multipart answers 404, and each batch is encoded again from the queued bytes
    // for /runs/batch; every answer takes 40 ms. A slab takes about 24 traces. The second wave is
    // serialised once the first batch is stored, while the first wave's traces 16-29 still wait in the
    // queue, in the first two slabs; it fills more than two slabs.
    const fake = await langSmithFake();
    fake.setDelay(40);
    const { observer, reporter } = observeLangSmith(fake, langSmithKey, { batchTraces: 4 });
    emitWave(observer, 0, 30);
    await pollUntil(() => fake.runs().length, (count) => count > 0, 5000, (count) => `${count} runs stored`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    emitWave(observer, 30, 60);
    await observer.flush?.(20_000);
    expect(reporter.exportFailed).not.toHaveBeenCalled();
    expect(missingPrompts(fake, 90)).toEqual([]);
  });

  it('LangSmith: waves flushed one after another take no new slab once two are spare', async () => {
    const fake = await langSmithFake();
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const { observer, reporter } = observeLangSmith(fake, langSmithKey, { batchTraces: 4 });
    for (let wave = 0; wave < 4; wave += 1) {
      emitWave(observer, wave * 30, 30);
      await observer.flush?.(10_000);
    }
    expect(reporter.exportFailed).not.toHaveBeenCalled();
    expect(missingPrompts(fake, 120)).toEqual([]);
    expect(fake.runs()).toHaveLength(4 * 120);
    // 120 traces of 40 KB fill about 5 slabs; with reuse, the current slab and two spares.
    expect(slabsTaken(slabs)).toBe(3);
  });

  it('LangSmith: traces a full queue turned away hold no slab back', async () => {
    const fake = await langSmithFake();
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const { observer, reporter } = observeLangSmith(fake, langSmithKey, { batchTraces: 2, maxQueuedTraces: 2 });
    // Each wave: two traces queued and sent, 28 turned away after being serialised.
    for (let wave = 0; wave < 4; wave += 1) {
      emitWave(observer, wave * 30, 30);
      await observer.flush?.(10_000);
    }
    expect(reporter.exportFailed).toHaveBeenCalledTimes(4 * 28);
    expect(fake.runs()).toHaveLength(4 * 2 * 4);
    expect(slabsTaken(slabs)).toBe(3);
  });
});

const langSmithKey = 'ls-slab-key';

async function langSmithFake() {
  const fake = await startLangSmithFake({ apiKey: langSmithKey, multipart: false });
  onTestFinished(() => fake.close());
  return fake;
}

/** Traces `from` to `from + count - 1`, each with its own 40 KB prompt. */
function emitWave(observer: RecordSink, from: number, count: number) {
  for (let index = from; index < from + count; index += 1) {
    const trace = traceFixture(index.toString(16).padStart(32, '0'));
    trace.llm.request.prompt = content(index);
    emitTrace(observer, trace);
  }
}

/** The trace indexes below `count` whose prompt no model run carries, whole, as its user message. */
function missingPrompts(fake: LangSmithFake, count: number): number[] {
  const prompts = new Set(
    fake
      .runs()
      .filter((run) => run.run_type === 'llm')
      .map((run) => (run.inputs as { messages: Array<{ content: string }> }).messages[1]!.content),
  );
  return Array.from({ length: count }, (_, index) => index).filter((index) => !prompts.has(content(index)));
}
