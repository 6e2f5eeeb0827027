import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * With API_KEYS set, every /api/* route needs `Authorization: Bearer <key>` (any case of "Bearer");
 * the caller plugin has already matched the key. Refusals count against the client address.
 */
export default fp(
  async (app: FastifyInstance, { keysConfigured }: { keysConfigured: boolean }) => {
    if (!keysConfigured) return;
    app.addHook('onRequest', async (request, reply) => {
      // The matched route, not the raw URL: the router decodes the path, so `/%61pi/query` reaches /api/query.
      const path = request.routeOptions.url ?? request.url;
      if (!path.startsWith('/api/') || request.caller.kind === 'key') return;
      return app.refuseCredentials(request, reply, 'a valid API key is required: Authorization: Bearer <key>');
    });
  },
  { name: 'auth', dependencies: ['caller-identity', 'rate-limits'] },
);
