import type { FastifyPluginAsync } from 'fastify';
import { bearerToken, equalsInConstantTime } from '../security/credentials.js';
import type { Telemetry } from '../telemetry/types.js';

const openMetricsAccept = /application\/openmetrics-text/;

/** Serves OpenMetrics with exemplars to scrapers that ask for it (Prometheus does), plain text otherwise. */
export const metricsRoute: FastifyPluginAsync<{ telemetry: Pick<Telemetry, 'renderMetrics'>; token?: string }> = async (
  app,
  { telemetry, token },
) => {
  app.get('/metrics', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (request, reply) => {
    if (token && !equalsInConstantTime(bearerToken(request.headers.authorization), token)) {
      return app.refuseCredentials(request, reply, 'a valid metrics bearer token is required');
    }
    const rendered = await telemetry.renderMetrics(openMetricsAccept.test(request.headers.accept ?? ''));
    return reply.type(rendered.contentType).send(rendered.body);
  });
};
