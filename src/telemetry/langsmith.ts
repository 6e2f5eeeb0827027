import { Client } from 'langsmith';
import type { Config } from '../config/index.js';
import { createBatchSender } from './batch-sender.js';
import type { FailureReporter } from './failure-reporter.js';
import { createTraceBuffer } from './langsmith-buffer.js';
import { buildRuns, type TraceRecords } from './langsmith-runs.js';
import type { TelemetryObserver } from './observers.js';

export type LangSmithSettings = NonNullable<Config['telemetry']['langsmith']>;

export interface LangSmithObserverOptions {
  settings: LangSmithSettings;
  environment: string;
  reporter: FailureReporter;
  /** Per HTTP request; a hanging endpoint costs this much, and is not retried. */
  requestTimeoutMs: number;
  /** Finished traces waiting to be posted. */
  maxQueuedTraces?: number;
  /** Traces per `/runs/batch` post. */
  batchTraces?: number;
  flushIntervalMs?: number;
  /** Injected by tests and the benchmark; built from `settings` otherwise. */
  client?: Client;
}

const recentTracesKept = 10_000;

/**
 * Sends every research query to LangSmith as a nested run tree, built from the same agent and model-call
 * descriptions that feed the other sinks, after the response and in batches.
 *
 * Why not `traceable`: wrapping the agents cost 6-11 ms of CPU per request on this machine, mostly in
 * the SDK's per-run multipart upload (see docs in shared/notes/performance.md). Here a whole batch of
 * traces becomes one JSON `POST /runs/batch` through the SDK's client, which keeps its auth, retries
 * and serialisation; the runs are complete when posted, so there are no separate patches.
 */
export function createLangSmithObserver(options: LangSmithObserverOptions): TelemetryObserver & { readonly pendingTraces: number } {
  const { settings, reporter } = options;
  const client = options.client ?? createClient(settings, options.requestTimeoutMs);
  const context = { project: settings.project, environment: options.environment };
  const runCount = (trace: TraceRecords) => 1 + trace.agents.length + trace.llmCalls.length;
  // Root run ids, so that feedback given later on a trace id can reach its run.
  const rootRunIds = new Map<string, string>();

  const buffer = createTraceBuffer({ maxTraces: 1024, maxRecordsPerTrace: 256 }, (records) => reporter.dropped('langsmith', records));
  const sender = createBatchSender<TraceRecords>(
    {
      maxQueued: options.maxQueuedTraces ?? 2048,
      batchSize: options.batchTraces ?? 100,
      intervalMs: options.flushIntervalMs ?? 1000,
      maxConcurrent: 2,
    },
    (traces) => postTraces(traces),
    (trace) => reporter.exportFailed('langsmith', runCount(trace), 'run queue full'),
  );

  async function postTraces(traces: TraceRecords[]): Promise<void> {
    const runs = traces.flatMap((trace) => {
      const built = buildRuns(trace, context);
      remember(trace.root.traceId, built[0]!.id!);
      return built;
    });
    try {
      await client.batchIngestRuns({ runCreates: runs });
    } catch (error) {
      reporter.exportFailed('langsmith', runs.length, `run batch failed: ${(error as Error).message}`);
    }
  }

  function remember(traceId: string, runId: string) {
    if (rootRunIds.size >= recentTracesKept) rootRunIds.delete(rootRunIds.keys().next().value as string);
    rootRunIds.set(traceId, runId);
  }

  let projectId: Promise<string> | undefined;
  const pendingFeedback = new Set<Promise<void>>();

  async function sendFeedback(runId: string, feedback: Parameters<NonNullable<TelemetryObserver['onFeedback']>>[0]) {
    try {
      projectId ??= client.readProject({ projectName: settings.project }).then((project) => project.id);
      const sessionId = await projectId.catch((error: unknown) => {
        projectId = undefined;
        throw error;
      });
      await client.createFeedback({
        runId,
        sessionId,
        key: 'user-feedback',
        score: feedback.helpful ? 1 : 0,
        comment: feedback.comment,
        sourceInfo: feedback.userId ? { user_id: feedback.userId } : undefined,
      });
    } catch (error) {
      reporter.exportFailed('langsmith', 1, `feedback failed: ${(error as Error).message}`);
    }
  }

  // Telemetry must never fail a request: every entry point swallows and counts its own errors.
  const guarded = (what: string, work: () => void) => {
    try {
      work();
    } catch (error) {
      reporter.exportFailed('langsmith', 1, `${what}: ${(error as Error).message}`);
    }
  };

  return {
    onLlmCall(record, parentSpanId) {
      guarded('llm call not recorded', () => buffer.addLlmCall(record, parentSpanId));
    },
    onAgentEnd(record) {
      guarded('agent not recorded', () => {
        const finished = buffer.addAgent(record);
        if (finished) sender.enqueue(finished);
      });
    },
    onFeedback(feedback) {
      guarded('feedback not recorded', () => {
        const runId = rootRunIds.get(feedback.traceId);
        // Traces still queued have no run id yet; so old a trace its id was forgotten also lands here.
        if (!runId) return reporter.exportFailed('langsmith', 1, 'feedback for an unknown or unsent trace');
        const sending = sendFeedback(runId, feedback).finally(() => pendingFeedback.delete(sending));
        pendingFeedback.add(sending);
      });
    },
    async flush(timeoutMs) {
      const started = Date.now();
      await sender.flush(timeoutMs);
      const left = Math.max(0, timeoutMs - (Date.now() - started));
      await Promise.race([Promise.all([...pendingFeedback]), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    },
    get pendingTraces() {
      return buffer.size + sender.queued;
    },
  };
}

function createClient(settings: LangSmithSettings, requestTimeoutMs: number): Client {
  return new Client({
    apiUrl: settings.endpoint,
    apiKey: settings.apiKey,
    // Runs go out through batchIngestRuns; off, the SDK's own queue (and its /info probe) stays unused.
    autoBatchTracing: false,
    maxIngestMemoryBytes: 64 * 1024 * 1024,
    omitTracedRuntimeInfo: true,
    timeout_ms: requestTimeoutMs,
    callerOptions: { maxRetries: 2 },
    disablePromptCache: true,
  });
}
