import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { FailureReporter } from './failure-reporter.js';
import { createRedactor } from './redact.js';

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

const lokiTransportPath = fileURLToPath(new URL('./loki-transport.mjs', import.meta.url));

/**
 * Everything about a log line except where it goes: level, trace ids, redaction. Tests build their
 * capturing logger from these same options.
 */
export function loggerOptions(config: Config): pino.LoggerOptions {
  const lokiOn = Boolean(config.telemetry.loki);
  const mixin = () => {
    const spanContext = trace.getActiveSpan()?.spanContext();
    if (!spanContext) return {};
    const ids = { trace_id: spanContext.traceId, span_id: spanContext.spanId };
    return lokiOn ? { ...ids, meta: ids } : ids;
  };
  return {
    level: config.logLevel,
    // No hostname: pino-loki would turn it into a Loki label, and labels stay service/environment/level.
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

/**
 * pino writes to stdout (pretty on a terminal) and, when LOKI_URL is set, to Loki from a worker thread.
 * The mixin stamps every line written inside a span with its trace and span ids; with Loki on they are
 * repeated under `meta`, which pino-loki turns into Loki structured metadata (not labels).
 */
export function createLogger(config: Config, reporter?: FailureReporter): Logger {
  const stdoutTarget = process.stdout.isTTY
    ? { target: 'pino-pretty', options: { destination: 1, ignore: 'pid,hostname,meta' }, level: config.logLevel }
    : { target: 'pino/file', options: { destination: 1 }, level: config.logLevel };
  const targets: pino.TransportTargetOptions[] = [stdoutTarget];
  if (config.telemetry.loki) {
    targets.push({
      target: lokiTransportPath,
      level: config.logLevel,
      options: {
        host: config.telemetry.loki.url,
        labels: { service: config.serviceName, environment: config.environment },
        batching: { interval: 1, maxBufferSize: 10_000 },
        timeout: config.telemetry.exportTimeoutMs,
        // The last push at shutdown gets less: the process is blocked while it runs.
        closeTimeoutMs: Math.min(config.telemetry.exportTimeoutMs, 1000),
        silenceErrors: true,
      },
    });
  }
  const transport = pino.transport({ targets });
  transport.on('loki-export-failure', (droppedLines: number) =>
    reporter?.exportFailed('loki', droppedLines, 'Loki push failed'),
  );
  return pino(loggerOptions(config), transport);
}

/**
 * Flushes and closes the transports (stdout and Loki), waiting at most `timeoutMs`. The worker's own
 * close is bounded separately (closeTimeoutMs in loki-transport.mjs): thread-stream's end() blocks
 * this thread until the worker is done, so no timer here could cut it short.
 */
export function closeLogger(logger: Logger, timeoutMs: number): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    | { end?: () => void; once?: (event: string, fn: () => void) => void }
    | undefined;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    if (!stream?.end || !stream.once) return resolve();
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.end();
  });
}
