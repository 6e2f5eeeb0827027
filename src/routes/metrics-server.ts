import Fastify from 'fastify';
import type { OpenMetricsContentType, Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { metricsRoute } from './metrics.js';

/** /metrics on its own port (METRICS_PORT), so it can stay off the public listener entirely. */
export async function startMetricsServer(config: Config, registry: Registry<OpenMetricsContentType>) {
  const server = Fastify({ logger: false });
  await server.register(metricsRoute, { registry, token: config.security.metricsToken });
  await server.listen({ port: config.security.metricsPort, host: config.host });
  return server;
}
