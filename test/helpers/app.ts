// The one way tests build the app: in-process, as main.ts does (config → telemetry → buildApp), with a
// logger whose lines the test can read, or the service's own (stdout and Loki) when `captureLogs` is
// false. One app at a time per test file: OpenTelemetry's providers are process-global.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { LlmProvider } from '../../src/llm/types.js';
import { buildApp } from '../../src/server.js';
import { startTelemetry, type StartedTelemetry } from '../../src/telemetry/index.js';
import { loggerOptions } from '../../src/telemetry/sinks/logs.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  telemetry: StartedTelemetry;
  logs: LogLine[];
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

/** Defaults that keep tests fast and quiet; `env` overrides them. */
const testDefaults: Record<string, string> = {
  APP_ENV: 'test',
  LOG_LEVEL: 'info',
  TELEMETRY_EXPORT_TIMEOUT_MS: '500',
  SHUTDOWN_TIMEOUT_MS: '3000',
  RATE_LIMIT_PER_MINUTE: '0',
  // Tests script the model call by call; the response cache would answer a repeated query itself.
  // Cost-control tests turn it back on.
  CACHE_TTL_SECONDS: '0',
};

export interface TestAppOptions {
  provider?: LlmProvider;
  /** false: the service's own logger (stdout, and Loki with LOKI_URL); `logs` stays empty. */
  captureLogs?: boolean;
  /** Where the research page is served from (test/helpers/web-build.ts). */
  webRoot?: string;
}

/** `env` overrides the test defaults; a variable set to undefined falls back to the service's own default. */
export async function startTestApp(env: Record<string, string | undefined> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  // A previous app in this file left its tracer provider registered globally; a second registration
  // would be refused and spans would go to the old (shut down) processors.
  trace.disable();
  context.disable();
  propagation.disable();
  const config = loadConfig({ ...testDefaults, ...env });
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const telemetry = startTelemetry(config, options.captureLogs === false ? {} : { logger: pino(loggerOptions(config), sink) });
  const app = await buildApp({ config, telemetry, provider: options.provider, webRoot: options.webRoot });
  await app.ready();
  return {
    app,
    config,
    telemetry,
    logs,
    metricsText: async () => (await app.inject({ method: 'GET', url: '/metrics' })).body,
    async close() {
      await app.close();
      await telemetry.shutdown(config.shutdownTimeoutMs);
    },
  };
}

/** Log lines whose message is `msg`. */
export const linesWithMessage = (logs: LogLine[], msg: string) => logs.filter((line) => line.msg === msg);

/** Puts the app on a free loopback port, for what only a real socket shows; returns the port. */
export async function listenOnLoopback(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}
