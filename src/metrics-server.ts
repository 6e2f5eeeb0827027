import Fastify from 'fastify';
import type { Config } from './config/index.js';
import { metricsRoute } from './routes/metrics.js';
import type { Telemetry } from './telemetry/types.js';

/** /metrics on its own port (METRICS_PORT), so it can stay off the public listener entirely. */
export async function startMetricsServer(config: Config, telemetry: Pick<Telemetry, 'renderMetrics'>) {
  const server = Fastify({ logger: false });
  await server.register(metricsRoute, { telemetry, token: config.security.metricsToken });
  await server.listen({ port: config.security.metricsPort, host: config.host });
  return server;
}
