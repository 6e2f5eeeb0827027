import Fastify from 'fastify';
import type { Config } from './config/index.js';
import type { Metrics } from './telemetry/sinks/prometheus.js';
import { metricsRoute } from './routes/metrics.js';

/** /metrics on its own port (METRICS_PORT), so it can stay off the public listener entirely. */
export async function startMetricsServer(config: Config, metrics: Metrics) {
  const server = Fastify({ logger: false });
  await server.register(metricsRoute, { metrics, token: config.security.metricsToken });
  await server.listen({ port: config.security.metricsPort, host: config.host });
  return server;
}
