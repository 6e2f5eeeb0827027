import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const matchesAny = (given: string, keys: Buffer[]) => {
  const candidate = Buffer.from(given);
  // Compare against every key so the time taken does not reveal which one nearly matched.
  return keys.reduce((found, key) => (key.length === candidate.length && timingSafeEqual(key, candidate)) || found, false);
};

/** With API_KEYS set, every /api/* route needs `Authorization: Bearer <key>`; without it the API is open. */
export function registerAuth(app: FastifyInstance, apiKeys: string[]) {
  if (apiKeys.length === 0) return;
  const keys = apiKeys.map((key) => Buffer.from(key));
  app.addHook('onRequest', async (request, reply) => {
    // The matched route, not the raw URL: the router decodes the path, so `/%61pi/query` reaches /api/query.
    const path = request.routeOptions.url ?? request.url;
    if (!path.startsWith('/api/')) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !matchesAny(token, keys)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'a valid API key is required: Authorization: Bearer <key>' });
    }
  });
}
