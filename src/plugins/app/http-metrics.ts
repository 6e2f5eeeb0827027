import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../telemetry/sinks/prometheus.js';
import { requestTraceId } from '../../routes/request-trace.js';

/** One histogram sample per request, labelled by route template (never the raw URL, which is unbounded). */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const traceId = requestTraceId(request);
    metrics.httpDuration.observe({
      labels: { route, method: request.method, status_code: String(reply.statusCode) },
      value: reply.elapsedTime / 1000,
      ...(traceId ? { exemplarLabels: { trace_id: traceId } } : {}),
    });
    if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz') {
      request.log.info(
        { event: 'http_request', method: request.method, route, status_code: reply.statusCode, latency_ms: Math.round(reply.elapsedTime * 100) / 100 },
        'request completed',
      );
    }
  });
}
