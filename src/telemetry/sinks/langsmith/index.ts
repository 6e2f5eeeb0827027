import type { Client } from 'langsmith';
import type { Config } from '../../../config/index.js';
import { createBatchSender } from '../../support/batch-sender.js';
import type { FailureReporter } from '../../support/failure-reporter.js';
import { createTraceBuffer } from './buffer.js';
import { createLangSmithFeedback } from './feedback.js';
import { serializeRuns, type SerializedRun } from './multipart.js';
import { buildRuns, rootRunId, type TraceRecords } from './runs.js';
import { createRunIngestTransport } from './transport.js';
import type { RecordSink } from '../../types.js';
import { createRedactor } from '../../support/redact.js';
import { ByteArena } from '../../support/byte-arena.js';
import type { ContentJson } from '../../support/content-json.js';

/** A finished trace as it waits in the queue: its runs' JSON. */
type SerializedTrace = SerializedRun[];

export type LangSmithSettings = NonNullable<Config['telemetry']['langsmith']>;

export interface LangSmithSinkOptions {
  settings: LangSmithSettings;
  environment: string;
  reporter: FailureReporter;
  /** REDACT_PATTERNS: masked in every run's inputs, outputs, error and metadata before it leaves. */
  redactPatterns?: readonly RegExp[];
  /** Per HTTP request; a hanging endpoint costs this much, and is not retried. */
  requestTimeoutMs: number;
  /** Finished traces waiting to be posted. */
  maxQueuedTraces?: number;
  /** The same bound in bytes of their runs' JSON (the SDK's default cap is 1 GiB; a service keeps far less). */
  maxQueuedBytes?: number;
  /** Traces per post. */
  batchTraces?: number;
  flushIntervalMs?: number;
  /** Retries of a failed post (network errors, 408/425/429/5xx), with exponential backoff from 1 s. */
  retries?: number;
  /** Injected by tests; built from `settings` otherwise. Used for feedback only. */
  client?: Client;
  /** The JSON LangFuse made for the records' content, spliced into the runs instead of made again. */
  content?: ContentJson;
}

// LangSmith accepts 20 MiB per batch (its /info size_limit_bytes); stay clear of it.
const maxBatchBytes = 16 * 1024 * 1024;
// What a run adds to a body besides its JSON: a multipart part's boundary and headers come to about 165
// bytes (a /runs/batch body adds a comma); the body's own opening and closing, under 64. Together they
// bound a body's size before it is encoded.
const framingBytesPerRun = 256;
const bodyBytesAtMost = (traces: SerializedTrace[]) =>
  traces.reduce((sum, trace) => trace.reduce((traceSum, run) => traceSum + run.json.length + framingBytesPerRun, sum), 64);

/**
 * Sends every research query to LangSmith as a nested run tree, built from the same agent and model-call
 * descriptions that feed the other sinks, after the response and in batches.
 *
 * Why not `traceable`: wrapping the agents cost 6-11 ms of CPU per request on this machine, mostly in
 * the SDK's per-run multipart upload (shared/notes/performance.md). Here the runs of many traces, built
 * complete (no separate patches), go out as one multipart body built in one buffer to `POST /runs/multipart`
 * (`/runs/batch` on servers without it); bench/langsmith-cpu.ts measures what that adds per query.
 */
export function createLangSmithSink(options: LangSmithSinkOptions): RecordSink & { readonly pendingTraces: number; readonly queuedBytes: number } {
  const { settings, reporter } = options;
  const transport = createRunIngestTransport({
    endpoint: settings.endpoint,
    apiKey: settings.apiKey,
    timeoutMs: options.requestTimeoutMs,
    retries: options.retries,
  });
  const context = { project: settings.project, environment: options.environment };
  const redact = createRedactor(options.redactPatterns ?? []);
  const feedback = createLangSmithFeedback({ settings, requestTimeoutMs: options.requestTimeoutMs, reporter, redact, client: options.client });
  const runCount = (traces: SerializedTrace[]) => traces.reduce((sum, trace) => sum + trace.length, 0);

  // A batch too large for one body is split before anything is encoded; one trace goes whole, whatever its size.
  async function postRuns(traces: SerializedTrace[], abandoned: AbortSignal): Promise<void> {
    if (traces.length > 1 && bodyBytesAtMost(traces) > maxBatchBytes) {
      const half = Math.ceil(traces.length / 2);
      await postRuns(traces.slice(0, half), abandoned);
      await postRuns(traces.slice(half), abandoned);
      return;
    }
    const runs = traces.flat();
    await transport.post(runs, transport.encode(runs), abandoned);
  }

  const buffer = createTraceBuffer({ maxTraces: 1024, maxRecordsPerTrace: 256 }, (records) => reporter.dropped('langsmith', records));
  const sender = createBatchSender<SerializedTrace>(
    {
      maxQueued: options.maxQueuedTraces ?? 2048,
      maxQueuedBytes: options.maxQueuedBytes ?? 4 * 1024 * 1024,
      batchSize: options.batchTraces ?? 100,
      intervalMs: options.flushIntervalMs ?? 1000,
      maxConcurrent: 2,
    },
    {
      async post(traces, abandoned) {
        try {
          await postRuns(traces, abandoned);
        } catch (error) {
          if (!abandoned.aborted) reporter.exportFailed('langsmith', runCount(traces), `run batch failed: ${(error as Error).message}`);
        } finally {
          settled(traces);
        }
      },
      dropped: (trace) => {
        settled([trace]);
        reporter.exportFailed('langsmith', runCount([trace]), 'run queue full');
      },
      abandoned: (traces) => reporter.exportFailed('langsmith', runCount(traces), 'runs still unsent at the flush deadline'),
      sizeOf: (trace) => trace.reduce((sum, run) => sum + run.json.length, 0),
    },
  );

  // A finished trace becomes its runs' JSON right after the response (the next turn of the event loop):
  // the queue then holds bytes of known size outside the heap, and the records' objects die young.
  const finishedTraces: TraceRecords[] = [];
  const arena = new ByteArena();
  const encodeBytes = (...pieces: string[]) => arena.encode(...pieces);
  // Traces queued or in flight, in the order they were serialised, with where their bytes begin: a post
  // may split, retry or re-encode its batch until it settles, and two posts may settle out of order, so
  // the arena's slabs are written anew only up to the oldest trace still unsent.
  const unsent = new Map<SerializedTrace, number>();
  function settled(traces: SerializedTrace[]) {
    for (const trace of traces) unsent.delete(trace);
    const oldest: number | undefined = unsent.values().next().value;
    arena.releaseBefore(oldest ?? arena.position());
  }
  const takeMadeJson = (value: unknown) => options.content?.take(value);
  let serializing: NodeJS.Immediate | undefined;
  function serializeFinished() {
    clearImmediate(serializing);
    serializing = undefined;
    for (const trace of finishedTraces.splice(0)) {
      try {
        const position = arena.position();
        const serialized = serializeRuns(redact(buildRuns(trace, context)), encodeBytes, takeMadeJson);
        unsent.set(serialized, position);
        sender.enqueue(serialized);
      } catch (error) {
        // Off the fan-out's guard here: counted the same way, and the process goes on.
        reporter.internalError('langsmith', error);
      }
    }
  }

  // Each entry point runs inside the fan-out's guard: what throws here is counted there, per sink.
  return {
    onLlmCall(record, parentSpanId) {
      buffer.addLlmCall(record, parentSpanId);
    },
    onAgentEnd(record) {
      const finished = buffer.addAgent(record);
      if (!finished) return;
      feedback.rememberRoot(record.traceId, rootRunId(record));
      finishedTraces.push(finished);
      serializing ??= setImmediate(serializeFinished);
    },
    onFeedback(userFeedback) {
      feedback.record(userFeedback);
    },
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      serializeFinished();
      await sender.flush(timeoutMs);
      await feedback.flush(Math.max(0, deadline - Date.now()));
    },
    get pendingTraces() {
      return buffer.size + finishedTraces.length + sender.queued;
    },
    /** Bytes of run JSON waiting in the queue, the measure of its size bound. */
    get queuedBytes() {
      return sender.queuedBytes;
    },
  };
}
