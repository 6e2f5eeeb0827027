import fastifyOtel from '@fastify/otel';
import { context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The trace id of the request's HTTP span; undefined when the request has none. */
    traceId(): string | undefined;
    /** Runs `work` inside the request's span, so that the spans it starts are its children. */
    runInTraceContext<T>(work: () => T): T;
    /** Sets attributes on the request's span (never content or secrets). */
    annotateTrace(attributes: Record<string, string>): void;
  }
}

function traceId(this: FastifyRequest): string | undefined {
  try {
    return this.opentelemetry().span?.spanContext().traceId;
  } catch {
    return undefined;
  }
}

function annotateTrace(this: FastifyRequest, attributes: Record<string, string>): void {
  try {
    this.opentelemetry().span?.setAttributes(attributes);
  } catch {
    // No span for this request (route with tracing off).
  }
}

function runInTraceContext<T>(this: FastifyRequest, work: () => T): T {
  return context.with(this.opentelemetry().context ?? context.active(), work);
}

/**
 * One HTTP server span per request (@fastify/otel), named by route template; it is the parent of the
 * agent and model spans and carries the trace id the response, logs and exemplars share.
 * @see https://github.com/fastify/otel
 */
export default fp(
  async (app: FastifyInstance) => {
    const otel = new fastifyOtel.FastifyOtelInstrumentation({
      instrumentHooks: false,
      instrumentHandler: false,
      requestHook: (span, request) => {
        span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
        // @fastify/otel records the raw URL as url.path; its query string may carry a key or a token.
        span.setAttribute('url.path', request.url.split('?')[0] as string);
      },
    });
    await app.register(otel.plugin());
    app.decorateRequest('traceId', traceId);
    app.decorateRequest('runInTraceContext', runInTraceContext);
    app.decorateRequest('annotateTrace', annotateTrace);
  },
  { name: 'otel' },
);
