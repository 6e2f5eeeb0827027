import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../telemetry/metrics.js';
import { bearerToken, equalsInConstantTime } from './credentials.js';

const openMetricsAccept = /application\/openmetrics-text/;

/** Serves OpenMetrics with exemplars to scrapers that ask for it (Prometheus does), plain text otherwise. */
export const metricsRoute: FastifyPluginAsync<{ metrics: Pick<Metrics, 'registry' | 'plainTextRegistry'>; token?: string }> = async (
  app,
  { metrics, token },
) => {
  app.get('/metrics', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (request, reply) => {
    if (token && !equalsInConstantTime(bearerToken(request.headers.authorization), token)) {
      return app.refuseCredentials(request, reply, 'a valid metrics bearer token is required');
    }
    const registry = openMetricsAccept.test(request.headers.accept ?? '') ? metrics.registry : metrics.plainTextRegistry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
