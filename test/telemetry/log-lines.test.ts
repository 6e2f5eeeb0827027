import { Writable } from 'node:stream';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { closeLogger, createLogger, loggerOptions } from '../../src/telemetry/sinks/logs.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';

// What every log line carries, from the options the service's logger is built with: level, pid and no
// hostname, trace ids inside a span (where the Loki stream reads them), secrets censored by path and
// REDACT_PATTERNS masked anywhere in the line.
function capture(env: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = pino(
    loggerOptions(loadConfig(env)),
    new Writable({
      write(chunk, _encoding, done) {
        raw.push(String(chunk));
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, lines, raw };
}

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
// A registered provider brings the context manager that carries the active span into the mixin.
new node.NodeTracerProvider().register();
const insideSpan = (work: () => void) => context.with(trace.setSpan(context.active(), trace.wrapSpanContext(spanContext)), work);

describe('log lines', () => {
  it('carry the level, the pid and no hostname, at LOG_LEVEL and above only', () => {
    const { logger, lines } = capture({ LOG_LEVEL: 'warn' });
    logger.info('not written');
    logger.warn({ event: 'x' }, 'written');
    expect(lines).toEqual([{ level: 40, time: expect.any(Number), pid: process.pid, event: 'x', msg: 'written' }]);
  });

  it('carry the trace and span ids inside a span, right after the pid, with or without Loki, and nothing else for them', () => {
    for (const env of [{}, { LOKI_URL: 'http://127.0.0.1:9' }] as Array<Record<string, string>>) {
      const { logger, lines, raw } = capture(env);
      insideSpan(() => logger.info('in a span'));
      logger.info('outside');
      expect(lines.map(({ trace_id, span_id, meta }) => [trace_id, span_id, meta])).toEqual([
        [spanContext.traceId, spanContext.spanId, undefined],
        [undefined, undefined, undefined],
      ]);
      // Where the Loki stream reads them from (sinks/loki.ts): top level, before any nested object.
      expect(raw[0]).toContain(`"pid":${process.pid},"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}",`);
    }
  });

  it('censor credentials by path', () => {
    const { logger, lines } = capture();
    logger.info({
      req: { headers: { authorization: 'Bearer a', cookie: 'c=1', 'x-api-key': 'k', 'x-goog-api-key': 'g', accept: 'json' } },
      headers: { authorization: 'Basic b', cookie: 'd=2' },
      langfuse: { apiKey: 'a1', secretKey: 's1', api_key: 'a2', password: 'p', token: 't', publicKey: 'pk' },
      feedback_token: 'ft',
    });
    const [line] = lines;
    const mark = '[REDACTED]';
    expect(line).toMatchObject({
      req: { headers: { authorization: mark, cookie: mark, 'x-api-key': mark, 'x-goog-api-key': mark, accept: 'json' } },
      headers: { authorization: mark, cookie: mark },
      langfuse: { apiKey: mark, secretKey: mark, api_key: mark, password: mark, token: mark, publicKey: 'pk' },
      feedback_token: mark,
    });
  });

  it('mask REDACT_PATTERNS in the message and every field, only when patterns are set', () => {
    const masked = capture({ REDACT_PATTERNS: 'card-\\d+' });
    masked.logger.info({ query: 'pay with card-1234', nested: { note: 'card-99' } }, 'asked about card-5');
    expect(masked.lines[0]).toMatchObject({ query: 'pay with [REDACTED]', nested: { note: '[REDACTED]' }, msg: 'asked about [REDACTED]' });
    const unmasked = capture();
    unmasked.logger.info({ query: 'pay with card-1234' }, 'asked about card-5');
    expect(unmasked.lines[0]).toMatchObject({ query: 'pay with card-1234', msg: 'asked about card-5' });
  });
});

describe('the service logger', () => {
  it('closes its stdout destination within the time it is given, and forgets it', async () => {
    const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }), createFailureReporter(createMetrics(), () => undefined));
    logger.info('never written at LOG_LEVEL=silent');
    await closeLogger(logger, 2000);
    // A second close has nothing left to end, and returns at once.
    await closeLogger(logger, 60_000);
  });
});
