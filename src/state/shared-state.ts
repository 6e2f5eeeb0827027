import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { connectRedis, createRedisClient } from './redis.js';

/**
 * The process's one Redis client when REDIS_URL is set (undefined otherwise), connected with a bounded
 * wait and closed with the app. Start-up does not fail on an unreachable Redis: it reconnects by itself
 * and /readyz reports it.
 */
export async function openSharedState(app: FastifyInstance, config: Config): Promise<Redis | undefined> {
  const settings = config.costControls.redis;
  if (!settings) return undefined;
  const redis = createRedisClient(settings);
  const connected = await connectRedis(redis, Math.max(2000, settings.commandTimeoutMs * 4));
  if (!connected) app.log.warn({ event: 'redis_unreachable' }, 'Redis is not reachable yet; the client keeps reconnecting');
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}

/**
 * The same client for @fastify/rate-limit, with its store's failures counted: the plugin lets the
 * request through (skipOnError) but reports nothing. `rateLimit` is the command the plugin defines.
 */
export function countingRateLimitErrors(redis: Redis, onError: (error: unknown) => void): Redis {
  return new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property !== 'rateLimit' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        const callback = args.pop() as (error: unknown, result: unknown) => void;
        return (value as (...rest: unknown[]) => unknown).call(target, ...args, (error: unknown, result: unknown) => {
          if (error) onError(error);
          callback(error, result);
        });
      };
    },
  });
}
