import Fastify from 'fastify';
import type { Config } from '../config/index.js';
import { httpServerOptions } from '../http-server.js';
import callerPlugin from '../plugins/app/caller.js';
import rateLimitPlugin from '../plugins/external/rate-limit.js';
import type { Metrics } from '../telemetry/metrics.js';
import { registerErrorHandling } from './errors.js';
import { metricsRoute } from './metrics.js';

/** /metrics on its own port (METRICS_PORT), so it can stay off the public listener entirely. */
export async function startMetricsServer(config: Config, metrics: Metrics) {
  const server = Fastify({ ...httpServerOptions(config), logger: false });
  registerErrorHandling(server);
  // Token guesses on this port are throttled like API key guesses on the public one.
  await server.register(callerPlugin, { apiKeys: [] });
  await server.register(rateLimitPlugin, { perMinute: 0, perUserPerMinute: 0, authFailuresPerMinute: config.security.authFailuresPerMinute });
  await server.register(metricsRoute, { metrics, token: config.security.metricsToken });
  await server.listen({ port: config.security.metricsPort, host: config.host });
  return server;
}
