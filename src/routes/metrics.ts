import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../telemetry/metrics.js';

const openMetricsAccept = /application\/openmetrics-text/;

/** Serves OpenMetrics with exemplars to scrapers that ask for it (Prometheus does), plain text otherwise. */
export const metricsRoute: FastifyPluginAsync<{ metrics: Pick<Metrics, 'registry' | 'plainTextRegistry'>; token?: string }> = async (
  app,
  { metrics, token },
) => {
  app.get('/metrics', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (request, reply) => {
    if (token) {
      const given = Buffer.from(request.headers.authorization?.replace(/^Bearer /, '') ?? '');
      const expected = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reply.code(401).send({ error: 'unauthorized', message: 'a valid metrics bearer token is required' });
      }
    }
    const registry = openMetricsAccept.test(request.headers.accept ?? '') ? metrics.registry : metrics.plainTextRegistry;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
