import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server.js';
import { startTelemetry, type StartedTelemetry } from '../../src/telemetry/index.js';

export interface TestApp {
  app: FastifyInstance;
  telemetry: StartedTelemetry;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts does, from an environment. StartedTelemetry registers a global tracer provider, so
 * use one per test file (vitest runs each file in its own process).
 */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const telemetry = startTelemetry(config);
  const app = await buildApp({ config, telemetry });
  return {
    app,
    telemetry,
    async close() {
      await app.close();
      await telemetry.shutdown(5000);
    },
  };
}
