import type { FastifyPluginAsync } from 'fastify';

type Readiness = { ready: boolean; checks: Record<string, boolean> };

export const healthRoutes: FastifyPluginAsync<{ isReady: () => Readiness | Promise<Readiness> }> = async (
  app,
  { isReady },
) => {
  // Not rate-limited: probes come from one address, and a 429 on /readyz would take the instance out of rotation.
  app.get('/healthz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (_request, reply) => {
    const { ready, checks } = await isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
};
