import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';

/** The request's HTTP span; undefined outside @fastify/otel (e.g. the metrics-only server). */
export function requestSpan(request: FastifyRequest): Span | undefined {
  try {
    return request.opentelemetry().span ?? undefined;
  } catch {
    return undefined;
  }
}

/** The trace id of the request's HTTP span; undefined outside @fastify/otel (e.g. the metrics-only server). */
export function requestTraceId(request: FastifyRequest): string | undefined {
  return requestSpan(request)?.spanContext().traceId;
}
