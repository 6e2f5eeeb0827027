import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Security headers on every response. No Content-Security-Policy here: Swagger UI needs inline scripts.
 * @see https://github.com/fastify/fastify-helmet
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(helmet, { contentSecurityPolicy: false });
  },
  { name: 'helmet' },
);
