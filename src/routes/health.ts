import type { FastifyPluginAsync } from 'fastify';

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  /** The model provider answering queries (gemini or offline). */
  provider: string;
  /** Export sinks that are on (otlp, langfuse, langsmith, loki); Prometheus and stdout logs always are. */
  sinks: readonly string[];
}

export const healthRoutes: FastifyPluginAsync<{ readiness: () => Readiness | Promise<Readiness> }> = async (app, { readiness }) => {
  // Not rate-limited: probes come from one address, and a 429 on /readyz would take the instance out of rotation.
  app.get('/healthz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (_request, reply) => {
    const { ready, ...details } = await readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', ...details });
  });
};
