import { Redis } from 'ioredis';

export interface RedisSettings {
  url: string;
  commandTimeoutMs: number;
}

/**
 * The one Redis client of the process (cache, single-flight locks, budgets, rate limit). ioredis because
 * @fastify/rate-limit's Redis store takes only an ioredis instance. Every command has a timeout and none
 * is queued while disconnected, so a down or slow Redis fails a call quickly instead of holding requests;
 * the client keeps reconnecting by itself.
 */
export function createRedisClient({ url, commandTimeoutMs }: RedisSettings): Redis {
  const client = new Redis(url, {
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(1000, commandTimeoutMs * 4),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    lazyConnect: true,
  });
  // Connection errors surface as failed commands (and /readyz); unhandled 'error' events would crash.
  client.on('error', () => undefined);
  return client;
}

/** Connects, waiting at most `timeoutMs`; start-up goes on either way and the client keeps retrying. */
export async function connectRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  const ready = new Promise<boolean>((resolve) => client.once('ready', () => resolve(true)));
  if (client.status === 'wait') client.connect().catch(() => undefined);
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([ready, timer]);
}

/** True when Redis answers a PING within the command timeout (a frozen server keeps its connection open). */
export async function redisAnswers(client: Redis): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  }
}
