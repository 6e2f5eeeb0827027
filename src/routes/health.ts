import type { FastifyPluginAsync } from 'fastify';

export const healthRoutes: FastifyPluginAsync<{ isReady: () => { ready: boolean; checks: Record<string, boolean> } }> = async (
  app,
  { isReady },
) => {
  // Not rate-limited: probes come from one address, and a 429 on /readyz would take the instance out of rotation.
  app.get('/healthz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (_request, reply) => {
    const { ready, checks } = isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
};
