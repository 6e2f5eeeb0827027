import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createAgentTelemetry } from './agents.js';
import { createBatchTelemetry } from './batch.js';
import { createFailureReporter } from './failure-reporter.js';
import { createScoreSink } from './langfuse-scores.js';
import { createLangSmithObserver } from './langsmith.js';
import { createLlmCallTelemetry } from './llm-call.js';
import { closeLogger, createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createRedactor } from './redact.js';
import type { TelemetryObserver } from './observers.js';
import { startTracing } from './otel.js';
import { createSessionTracker } from './sessions.js';

export interface QueryOutcome {
  status: 'success' | 'error';
  queryType?: string;
  costUsd?: number | null;
  retrievedDocs?: number;
  averageRelevance?: number;
  sessionKey?: string;
  traceId: string;
}

export interface Feedback {
  traceId: string;
  helpful: boolean;
  comment?: string;
  userId?: string;
}

/**
 * Starts every sink the configuration turns on, in the order they depend on each other: metrics,
 * then logs (which report their own failures as metrics), then tracing. Call once per process,
 * before the app is imported, so that instrumentation sees the modules it patches.
 */
export function startTelemetry(config: Config, options: { logger?: Logger; observers?: TelemetryObserver[] } = {}) {
  const sessions = createSessionTracker();
  const metrics = createMetrics(() => sessions.active());
  let logger: Logger | undefined;
  // A sink that fails after the logger has closed (a hung export timing out) is still counted, but
  // writing to the closed transport would throw from a timer and crash the process.
  let loggerOpen = true;
  const reporter = createFailureReporter(metrics, () => (loggerOpen ? logger : undefined));
  logger = options.logger ?? createLogger(config, reporter);
  const tracing = startTracing(config, reporter);
  const redact = createRedactor(config.telemetry.redactPatterns);
  const observers = [...(options.observers ?? [])];
  if (config.telemetry.langsmith) {
    observers.push(
      createLangSmithObserver({
        settings: config.telemetry.langsmith,
        environment: config.environment,
        reporter,
        redactPatterns: config.telemetry.redactPatterns,
        requestTimeoutMs: config.telemetry.exportTimeoutMs,
        maxQueuedTraces: config.telemetry.queueSize,
      }),
    );
  }
  const scores = config.telemetry.langfuse
    ? createScoreSink(config.telemetry.langfuse, config.telemetry.exportTimeoutMs, reporter)
    : undefined;
  const llmCalls = createLlmCallTelemetry({
    metrics,
    logger,
    captureContent: config.telemetry.captureContent,
    observers,
  });
  const runAgent = createAgentTelemetry(metrics, observers);
  const log = logger;

  return {
    metrics,
    logger: log,
    reporter,
    llmCalls,
    runAgent,
    batches: createBatchTelemetry(metrics),
    observers,
    recordQuery(outcome: QueryOutcome) {
      metrics.queryRequests.inc({ status: outcome.status });
      if (outcome.sessionKey) sessions.touch(outcome.sessionKey);
      if (outcome.status !== 'success') return;
      if (outcome.costUsd !== null && outcome.costUsd !== undefined) {
        metrics.queryCost.observe({
          labels: { query_type: outcome.queryType ?? 'other' },
          value: outcome.costUsd,
          exemplarLabels: { trace_id: outcome.traceId },
        });
      }
      if (outcome.retrievedDocs !== undefined) metrics.retrievalDocuments.observe(outcome.retrievedDocs);
      if (outcome.averageRelevance !== undefined && outcome.retrievedDocs) metrics.retrievalRelevance.observe(outcome.averageRelevance);
    },
    recordFeedback(feedback: Feedback) {
      metrics.feedback.inc({ helpful: String(feedback.helpful) });
      for (const observer of observers) observer.onFeedback?.(feedback);
      scores?.record({
        traceId: feedback.traceId,
        name: 'user-feedback',
        value: feedback.helpful ? 1 : 0,
        comment: redact(feedback.comment),
        metadata: feedback.userId ? { user_id: feedback.userId } : undefined,
      });
      log.info({ event: 'feedback', feedback_trace_id: feedback.traceId, helpful: feedback.helpful }, 'feedback recorded');
    },
    /**
     * Flushes every sink in parallel and returns within `timeoutMs` in total, whatever hangs. The logger
     * closes last, because flush failures are themselves logged, so part of the budget is kept for it.
     */
    async shutdown(timeoutMs: number): Promise<void> {
      const startedAt = Date.now();
      const loggerShare = options.logger ? 0 : Math.min(2000, timeoutMs / 4);
      const flushes = [
        tracing.shutdown(),
        scores?.flush(),
        ...observers.map((observer) => observer.flush?.(timeoutMs - loggerShare)),
      ].map((flush) => Promise.resolve(flush).catch(() => undefined));
      await Promise.race([Promise.all(flushes), sleepUnref(timeoutMs - loggerShare)]);
      if (options.logger) return;
      loggerOpen = false;
      await closeLogger(log, Math.max(0, timeoutMs - (Date.now() - startedAt)));
    },
  };
}

export type Telemetry = ReturnType<typeof startTelemetry>;

const sleepUnref = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
