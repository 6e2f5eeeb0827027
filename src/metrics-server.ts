import Fastify from 'fastify';
import type { Config } from './config/index.js';
import { httpServerOptions } from './http-server.js';
import caller from './plugins/app/caller.js';
import errors from './plugins/app/errors.js';
import rateLimit from './plugins/external/rate-limit.js';
import { metricsRoute } from './routes/metrics.js';
import type { Telemetry } from './telemetry/types.js';

/** /metrics on its own port (METRICS_PORT), so it can stay off the public listener entirely. */
export async function startMetricsServer(config: Config, telemetry: Pick<Telemetry, 'renderMetrics'>) {
  const server = Fastify({ ...httpServerOptions(config), logger: false });
  await server.register(errors);
  // Token guesses on this port are throttled like API key guesses on the public one.
  await server.register(caller, { apiKeys: [] });
  await server.register(rateLimit, { perMinute: 0, perUserPerMinute: 0, authFailuresPerMinute: config.security.authFailuresPerMinute });
  await server.register(metricsRoute, { telemetry, token: config.security.metricsToken });
  await server.listen({ port: config.security.metricsPort, host: config.host });
  return server;
}
