import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { closeLogger, createLogger, createLogSink, loggerOptions } from '../../src/telemetry/sinks/logs.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { traceFixture } from './langsmith-fixtures.js';

const reporter = () => createFailureReporter(createMetrics(), () => undefined);

describe('the service logger with Loki on', () => {
  let loki: LokiFake;
  beforeAll(async () => {
    loki = await startLokiFake();
  });
  afterAll(() => loki.close());

  it('sends the lines at LOG_LEVEL and above to Loki with the service labels, and closing pushes the last ones', async () => {
    await loki.reset();
    const config = loadConfig({ LOG_LEVEL: 'warn', LOKI_URL: loki.url });
    const logger = createLogger(config, reporter());
    logger.info('below the level');
    logger.warn({ event: 'loki_unit' }, 'to loki');
    // Only the close may settle this: a stream left open would keep it waiting for a minute.
    await closeLogger(logger, 60_000);
    const entries = await loki.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.labels).toMatchObject({ service: config.serviceName, environment: config.environment, level: 'warning' });
    expect(JSON.parse(entries[0]!.line)).toMatchObject({ event: 'loki_unit', msg: 'to loki' });
  });
});

describe('log options and model-call lines', () => {
  it('adds no masking hook without REDACT_PATTERNS', () => {
    expect(loggerOptions(loadConfig({})).hooks).toBeUndefined();
  });

  function capture(captureContent: boolean) {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      loggerOptions(loadConfig({ LOG_LEVEL: 'debug' })),
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    );
    return { sink: createLogSink(logger, captureContent), lines };
  }

  it('logs a priced call once, and a failed call without an answer with its prompt and no answer', () => {
    const { sink, lines } = capture(true);
    const { llm } = traceFixture();
    sink.llmCall(llm);
    expect(lines.map((line) => line.msg)).toEqual(['llm call']);
    sink.llmCall({ ...llm, status: 'error', response: undefined, error: { type: 'server_error', message: 'boom' } } as typeof llm);
    expect(lines[1]).toMatchObject({ msg: 'llm call failed', prompt_text: llm.request.prompt, error: 'boom' });
    expect(lines[1]).not.toHaveProperty('answer');
    expect(lines).toHaveLength(2);
  });

  it('logs a shared-state failure at debug with its component and operation', () => {
    const { sink, lines } = capture(false);
    sink.sharedStateError('budget', 'reserve', new Error('connection lost'));
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, event: 'shared_state_error', component: 'budget', operation: 'reserve', msg: 'Redis operation failed' }),
    ]);
    expect(lines[0]?.err).toMatchObject({ message: 'connection lost' });
  });
});
