import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { longestCallMs } from '../llm/retry-budget.js';
import { createFanout, createGuard, type Sinks } from './fanout.js';
import { createLangfuseSink } from './sinks/langfuse.js';
import { createScoreSink } from './sinks/langfuse-scores.js';
import { createLangSmithSink } from './sinks/langsmith/index.js';
import { closeLogger, createLogger, createLogSink } from './sinks/logs.js';
import { createPrometheusSink } from './sinks/prometheus.js';
import { createMetrics } from './sinks/prometheus-registry.js';
import { createSpanSink } from './sinks/spans.js';
import { startTracing } from './sinks/tracing.js';
import { createContentJson } from './support/content-json.js';
import { createFailureReporter } from './support/failure-reporter.js';
import { createRedactor } from './support/redact.js';
import { createSessionTracker } from './support/sessions.js';
import type { Telemetry } from './types.js';

export type { Telemetry } from './types.js';

const exportSinkNames = ['otlp', 'langfuse', 'langsmith', 'loki'] as const;

/**
 * Starts every sink the configuration turns on, in the order they depend on each other: metrics, then logs
 * (which report their own failures as metrics), then tracing. Call once per process, before the app is
 * imported. Besides the `Telemetry` interface, the result exposes the sinks and the registry to tests and
 * benchmarks; the app sees the interface only.
 */
export function startTelemetry(config: Config, options: { logger?: Logger } = {}) {
  const sessions = createSessionTracker();
  const metrics = createMetrics({ countActiveSessions: () => sessions.active(), longestLlmCallSeconds: longestCallMs(config.llm) / 1000 });
  let logger: Logger | undefined;
  // A sink that fails after the logger has closed (a hung export timing out) is still counted, but
  // writing to the closed transport would throw from a timer and crash the process.
  let loggerOpen = true;
  const reporter = createFailureReporter(metrics, () => (loggerOpen ? logger : undefined));
  const log = options.logger ?? createLogger(config, reporter);
  logger = log;
  const tracing = startTracing(config, reporter);
  const { telemetry: settings } = config;
  const redact = createRedactor(settings.redactPatterns);
  const scores = settings.langfuse ? createScoreSink(settings.langfuse, settings.exportTimeoutMs, reporter) : undefined;
  // Shared only when LangSmith can use it: with REDACT_PATTERNS it sends masked copies, whose JSON is its own.
  const content = createContentJson(Boolean(settings.langfuse && settings.langsmith) && settings.redactPatterns.length === 0);
  const sinks: Sinks = {
    spans: createSpanSink(settings.captureContent),
    langfuse: createLangfuseSink(scores, redact, content),
    prometheus: createPrometheusSink(metrics, sessions.touch),
    logs: createLogSink(log, settings.captureContent),
    langsmith: settings.langsmith
      ? createLangSmithSink({
          settings: settings.langsmith,
          environment: config.environment,
          reporter,
          redactPatterns: settings.redactPatterns,
          requestTimeoutMs: settings.exportTimeoutMs,
          maxQueuedTraces: settings.queueSize,
          maxQueuedBytes: settings.queueBytes,
          content,
        })
      : undefined,
  };
  const fanout = createFanout(sinks, createGuard(reporter.internalError));

  const telemetry: Telemetry = {
    ...fanout,
    logger: log,
    exportSinks: exportSinkNames.filter((sink) => settings[sink]),
    renderMetrics: (openMetrics) => sinks.prometheus.render(openMetrics),
    /**
     * Flushes every sink in parallel and returns within `timeoutMs` in total, whatever hangs. The logger
     * closes last, because flush failures are themselves logged, so part of the budget is kept for it.
     */
    async shutdown(timeoutMs: number): Promise<void> {
      const startedAt = Date.now();
      const loggerShare = options.logger ? 0 : Math.min(2000, timeoutMs / 4);
      const flushes = [tracing.shutdown(), sinks.langfuse.flush(), sinks.langsmith?.flush(timeoutMs - loggerShare)].map((flush) =>
        Promise.resolve(flush).catch(() => undefined),
      );
      await Promise.race([Promise.all(flushes), sleepUnref(timeoutMs - loggerShare)]);
      if (options.logger) return;
      loggerOpen = false;
      await closeLogger(log, Math.max(0, timeoutMs - (Date.now() - startedAt)));
    },
  };
  return { ...telemetry, sinks, metrics, reporter };
}

export type StartedTelemetry = ReturnType<typeof startTelemetry>;

const sleepUnref = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
