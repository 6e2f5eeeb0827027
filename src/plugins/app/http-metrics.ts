import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Telemetry } from '../../telemetry/types.js';

const unloggedRoutes = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * One duration sample per request, labelled by route template (never the raw URL, which is unbounded),
 * and one log line per request in place of Fastify's two.
 */
export default fp(
  async (app: FastifyInstance, { telemetry }: { telemetry: Pick<Telemetry, 'recordHttp'> }) => {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      telemetry.recordHttp({
        route,
        method: request.method,
        statusCode: reply.statusCode,
        durationSeconds: reply.elapsedTime / 1000,
        traceId: request.traceId(),
      });
      if (!unloggedRoutes.has(route)) {
        request.log.info(
          { event: 'http_request', method: request.method, route, status_code: reply.statusCode, latency_ms: Math.round(reply.elapsedTime * 100) / 100 },
          'request completed',
        );
      }
    });
  },
  { name: 'http-metrics', dependencies: ['otel'] },
);
