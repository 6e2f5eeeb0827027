import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';

export interface RateLimitSettings {
  /** Per caller (API key, else address); 0 turns it off. */
  perMinute: number;
  /** Per (caller, body user_id); 0 turns it off. */
  perUserPerMinute: number;
  /** Refused credentials per address before 429 replaces 401. */
  authFailuresPerMinute: number;
  /** Shared counters for every replica; when Redis fails the request goes through (the client counts it). */
  redis?: Redis;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts a refused credential against the client address: 401 until the limit, then 429. */
    refuseCredentials(request: FastifyRequest, reply: FastifyReply, message: string): Promise<FastifyReply>;
    /**
     * Counts `units` more requests against the caller's per-minute limit (a batch counts as its items);
     * resolves with the seconds to wait when that passes the limit, else undefined.
     */
    chargeRateLimit(request: FastifyRequest, units: number): Promise<{ max: number; retryAfterSeconds: number } | undefined>;
  }
}

const window = 60_000;

const rateLimited = (max: number, retryAfterSeconds: number) => ({
  statusCode: 429,
  error: 'rate_limited',
  message: `rate limit of ${max} requests per minute exceeded; retry in ${retryAfterSeconds} s`,
});

// An address caller is keyed on its /64 for IPv6, where one client holds a whole prefix.
const limitKey = (request: FastifyRequest) =>
  request.caller.kind === 'key' ? request.caller.id : `address:${normalizeIP(request.ip)}`;

/**
 * Three limits, none keyed on anything the client names: every request per caller (counted on arrival,
 * so refused keys and malformed bodies count too), requests per end user within a caller, and refused
 * credentials per address. Health checks and scrapes opt out with `config.rateLimit: false`.
 */
const rateLimits: FastifyPluginAsync<RateLimitSettings> = async (app, settings) => {
  await app.register(rateLimit, {
    global: false,
    ...(settings.redis ? { redis: settings.redis, skipOnError: true, nameSpace: 'ratelimit:' } : {}),
  });
  // One limiter (each limiter the plugin creates has its own in-memory store) for the per-caller hook and
  // for the extra units a batch charges, so that both count on the same counter.
  const perCaller = app.createRateLimit({ max: settings.perMinute, timeWindow: window, keyGenerator: limitKey });
  const charge = async (request: FastifyRequest, units: number) => {
    if (settings.perMinute <= 0) return undefined;
    for (let unit = 0; unit < units; unit += 1) {
      const outcome = await perCaller(request);
      if (!outcome.isAllowed && outcome.isExceeded) return { max: outcome.max, retryAfterSeconds: outcome.ttlInSeconds };
    }
    return undefined;
  };
  app.decorate('chargeRateLimit', charge);
  if (settings.perMinute > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.rateLimit === false) return;
      const outcome = await perCaller(request);
      if (outcome.isAllowed) return;
      // The headers the plugin's own hook sends, so that clients can pace themselves.
      reply.header('x-ratelimit-limit', outcome.max).header('x-ratelimit-remaining', outcome.remaining).header('x-ratelimit-reset', outcome.ttlInSeconds);
      if (outcome.isExceeded) return reply.code(429).header('retry-after', outcome.ttlInSeconds).send(rateLimited(outcome.max, outcome.ttlInSeconds));
    });
  }
  if (settings.perUserPerMinute > 0) {
    const perUser = app.createRateLimit({
      max: settings.perUserPerMinute,
      timeWindow: window,
      keyGenerator: (request) => `${limitKey(request)}|user:${(request.body as { user_id: string }).user_id}`,
    });
    app.addHook('preHandler', async (request, reply) => {
      if (typeof (request.body as { user_id?: unknown } | undefined)?.user_id !== 'string') return;
      const outcome = await perUser(request);
      if (!outcome.isAllowed && outcome.isExceeded) {
        return reply.code(429).header('retry-after', outcome.ttlInSeconds).send(rateLimited(outcome.max, outcome.ttlInSeconds));
      }
    });
  }
  const failures = app.createRateLimit({
    max: settings.authFailuresPerMinute,
    timeWindow: window,
    keyGenerator: (request) => `address:${normalizeIP(request.ip)}`,
  });
  app.decorate('refuseCredentials', async function refuse(request: FastifyRequest, reply: FastifyReply, message: string) {
    const outcome = await failures(request);
    if (!outcome.isAllowed && outcome.isExceeded) {
      return reply.code(429).header('retry-after', outcome.ttlInSeconds).send({
        error: 'rate_limited',
        message: `too many refused credentials from this address; retry in ${outcome.ttlInSeconds} s`,
      });
    }
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message });
  });
};

export default fp(rateLimits, { name: 'rate-limits', fastify: '5.x', dependencies: ['caller-identity'] });
