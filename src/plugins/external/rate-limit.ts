import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';

/**
 * RATE_LIMIT_PER_MINUTE per user id, else per client address (0 turns it off). With Redis the counters
 * are shared by every replica; when Redis fails the request goes through (the caller counts the failure).
 * @see https://github.com/fastify/fastify-rate-limit
 */
export default fp(
  async (app: FastifyInstance, { perMinute, redis }: { perMinute: number; redis?: Redis }) => {
    await app.register(rateLimit, {
      ...(redis ? { redis, skipOnError: true, nameSpace: 'ratelimit:' } : {}),
      global: true,
      // After body parsing, so that the limit can follow the user id rather than only the client address.
      hook: 'preHandler',
      max: perMinute || 1_000_000_000,
      timeWindow: '1 minute',
      keyGenerator: (request) => {
        const body = request.body as { user_id?: unknown } | undefined;
        return typeof body?.user_id === 'string' ? `user:${body.user_id}` : `ip:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        error: 'rate_limited',
        message: `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
      }),
    });
  },
  { name: 'rate-limit' },
);
