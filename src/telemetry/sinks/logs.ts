import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import type { Config } from '../../config/index.js';
import type { LlmError } from '../../llm/errors.js';
import type { LlmCallRecord } from '../../llm/types.js';
import type { FailureReporter } from '../support/failure-reporter.js';
import { modelLabel } from '../support/model-label.js';
import { cacheLogField } from '../support/llm-cache.js';
import { LokiStream } from './loki.js';
import { createRedactor } from '../support/redact.js';
import type { UserFeedback } from '../types.js';

export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'headers.authorization',
  'headers.cookie',
  '*.apiKey',
  '*.secretKey',
  '*.api_key',
  '*.password',
  '*.token',
  'feedback_token',
];


/**
 * Everything about a log line except where it goes: level, trace ids, redaction. Tests build their
 * capturing logger from these same options.
 */
export function loggerOptions(config: Config): pino.LoggerOptions {
  const mixin = () => {
    const spanContext = trace.getActiveSpan()?.spanContext();
    return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
  };
  return {
    level: config.logLevel,
    // No hostname: labels stay service/environment/level, and a host name is for the platform's logs.
    base: { pid: process.pid },
    mixin,
    redact: { paths: redactedLogPaths, censor: '[REDACTED]' },
    ...(config.telemetry.redactPatterns.length > 0 ? { hooks: { logMethod: maskingLogMethod(config) } } : {}),
  };
}

/** REDACT_PATTERNS apply to the message and every field of every line, whatever key holds the text. */
function maskingLogMethod(config: Config): NonNullable<pino.LoggerOptions['hooks']>['logMethod'] {
  const redact = createRedactor(config.telemetry.redactPatterns);
  return function logMethod(this: Logger, args, method) {
    method.apply(this, redact(args));
  };
}

type ClosableStream = pino.DestinationStream & {
  once(event: 'close' | 'error', listener: () => void): unknown;
  end(): void;
  flushSync?: () => void;
};

// What closeLogger must end for each logger: its stdout destination and, with Loki on, the Loki stream.
const loggerStreams = new WeakMap<Logger, ClosableStream[]>();

/**
 * pino writes to stdout (pretty on a terminal) and, when LOKI_URL is set, to Loki (sinks/loki.ts), both
 * from this thread: handing every line to a worker thread that shares the one core cost more than the
 * lines themselves (docs/BENCHMARKS.md). The mixin stamps every line written inside a span with its
 * trace and span ids, which the Loki stream also sends as structured metadata (not labels). They are not
 * repeated under a `meta` object for it, as pino-loki needs: with the censored paths' wildcards, pino's
 * redaction copied that object on every line, which nearly doubled the cost of a line.
 */
export function createLogger(config: Config, reporter: FailureReporter): Logger {
  const stdout = (
    process.stdout.isTTY
      ? pino.transport({ target: 'pino-pretty', options: { destination: 1, ignore: 'pid,hostname,meta' } })
      : pino.destination({ dest: 1, sync: false })
  ) as ClosableStream;
  const streams: ClosableStream[] = [stdout];
  if (config.telemetry.loki) {
    const loki = new LokiStream({
      url: config.telemetry.loki.url,
      labels: { service: config.serviceName, environment: config.environment },
      timeoutMs: config.telemetry.exportTimeoutMs,
      reporter,
      maxBufferedBytes: config.telemetry.queueBytes,
      // The last push at shutdown gets less: the process is about to exit.
      closeTimeoutMs: Math.min(config.telemetry.exportTimeoutMs, 1000),
    });
    streams.push(loki as unknown as ClosableStream);
  }
  const destination =
    streams.length === 1 ? stdout : pino.multistream(streams.map((stream) => ({ level: config.logLevel === 'silent' ? 'fatal' : config.logLevel, stream })));
  const logger = pino(loggerOptions(config), destination);
  loggerStreams.set(logger, streams);
  return logger;
}

/**
 * Flushes and closes the logger's streams (stdout and Loki), waiting at most `timeoutMs`. The Loki
 * stream's last push is bounded by its own closeTimeoutMs as well.
 */
export function closeLogger(logger: Logger, timeoutMs: number): Promise<void> {
  const streams = loggerStreams.get(logger) ?? [];
  loggerStreams.delete(logger);
  const closed = streams.map(
    (stream) =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
        try {
          stream.flushSync?.();
        } catch {
          // Not yet open or already closed: end() below still settles it.
        }
        stream.end();
      }),
  );
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    void Promise.all(closed).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The log lines that describe model calls and feedback (HTTP requests are logged by their plugin). */
export function createLogSink(logger: Logger, captureContent: boolean) {
  return {
    llmCall(record: LlmCallRecord) {
      const fields = {
        event: 'llm_call',
        model: modelLabel(record),
        response_model: record.response?.responseModel,
        status: record.status,
        tokens: record.usage,
        cost_usd: record.cost.costUsd,
        latency_ms: Math.round(record.latencyMs),
        ...(record.timeToFirstChunkMs !== undefined ? { time_to_first_chunk_ms: Math.round(record.timeToFirstChunkMs) } : {}),
        attempts: record.attempts,
        prompt: record.request.promptRef,
        ...cacheLogField(record),
        ...(record.error ? { error_type: record.error.type, error: record.error.message } : {}),
        ...(captureContent ? { prompt_text: record.request.prompt, answer: record.response?.text } : {}),
      };
      if (record.status === 'error') logger.error(fields, 'llm call failed');
      else logger.info(fields, record.status === 'cancelled' ? 'llm call cancelled' : 'llm call');
      if (record.cost.costUsd === null) {
        logger.warn({ model: record.request.model, response_model: record.response?.responseModel }, 'llm cost unknown: model not in price table');
      }
    },
    llmAttemptFailed(model: string, attempt: number, error: LlmError) {
      logger.warn({ event: 'llm_attempt_failed', model, attempt, error_type: error.type, error: error.message }, 'llm attempt failed, retrying');
    },
    feedback({ traceId, helpful, first }: Pick<UserFeedback, 'traceId' | 'helpful' | 'first'>) {
      logger.info({ event: 'feedback', feedback_trace_id: traceId, helpful, first }, 'feedback recorded');
    },
    /** Debug only: every failure is counted in shared_state_errors_total, and a down Redis fails every call. */
    sharedStateError(component: string, operation: string, error: unknown) {
      logger.debug({ event: 'shared_state_error', component, operation, err: error }, 'Redis operation failed');
    },
  };
}

export type LogSink = ReturnType<typeof createLogSink>;
