import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, equalsInConstantTime } from '../../security/credentials.js';

// Compared against every key so the time taken does not reveal which one nearly matched.
const matchesAny = (given: string, keys: string[]) => keys.reduce((found, key) => equalsInConstantTime(given, key) || found, false);

/** With API_KEYS set, every /api/* route needs `Authorization: Bearer <key>`; without it the API is open. */
export default fp(
  async (app: FastifyInstance, { apiKeys }: { apiKeys: string[] }) => {
    if (apiKeys.length === 0) return;
    app.addHook('onRequest', async (request, reply) => {
      // The matched route, not the raw URL: the router decodes the path, so `/%61pi/query` reaches /api/query.
      const path = request.routeOptions.url ?? request.url;
      if (!path.startsWith('/api/')) return;
      const token = bearerToken(request.headers.authorization);
      if (!token || !matchesAny(token, apiKeys)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({ error: 'unauthorized', message: 'a valid API key is required: Authorization: Bearer <key>' });
      }
    });
  },
  { name: 'auth' },
);
