import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';

export interface TestApp {
  app: FastifyInstance;
  telemetry: Telemetry;
  close(): Promise<void>;
}

/**
 * Builds the app as main.ts does, from an environment. Telemetry registers a global tracer provider, so
 * use one per test file (vitest runs each file in its own process).
 */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  // The response cache would answer repeated queries itself; tests of the cache turn it on.
  const config = loadConfig({ LOG_LEVEL: 'silent', CACHE_TTL_SECONDS: '0', ...env });
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
