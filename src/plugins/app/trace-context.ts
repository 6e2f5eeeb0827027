import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

// W3C Trace Context and Baggage: what @fastify/otel extracts a parent span context from.
const propagationHeaders = ['traceparent', 'tracestate', 'baggage'];

/**
 * On the public API a client must not choose the trace its request runs under: that would merge its
 * spans into someone else's trace and get it a feedback token for that trace. @fastify/otel extracts
 * the incoming context unconditionally, so the headers are dropped before its hook runs (register this
 * plugin first). TRUST_TRACEPARENT=true keeps them, for a deployment reached only through trusted hops.
 */
const traceContextPlugin: FastifyPluginAsync<{ trustIncoming: boolean }> = async (app, { trustIncoming }) => {
  if (trustIncoming) return;
  app.addHook('onRequest', async (request) => {
    for (const header of propagationHeaders) delete request.headers[header];
  });
};

export default fp(traceContextPlugin, { name: 'trace-context', fastify: '5.x' });
