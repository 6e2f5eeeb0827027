import type { FastifyRequest } from 'fastify';

/** The trace id of the request's HTTP span; undefined outside @fastify/otel (e.g. the metrics-only server). */
export function requestTraceId(request: FastifyRequest): string | undefined {
  try {
    return request.opentelemetry().span?.spanContext().traceId;
  } catch {
    return undefined;
  }
}
