import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Browsers on the CORS_ORIGINS allowlist may call the API with an API key; any other origin gets no
 * CORS headers at all, so its page cannot read the answers. Credentials travel in `Authorization`,
 * never in cookies, so `credentials` stays off.
 * @see https://github.com/fastify/fastify-cors
 */
const corsPlugin: FastifyPluginAsync<{ origins: string[] }> = async (app, { origins }) => {
  await app.register(cors, {
    // A function rather than the list: with a list, the plugin still sends the other CORS headers to unlisted origins.
    origin: (origin, callback) => callback(null, origin !== undefined && origins.includes(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    maxAge: 600,
    strictPreflight: true,
  });
};

export default fp(corsPlugin, { name: 'cors', fastify: '5.x' });
