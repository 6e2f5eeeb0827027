// One real redis-server per test file, emptied (and unfrozen) after each test. Kept apart from
// redis-server.ts because the bench imports that one outside vitest.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createRedisClient } from '../../src/state/redis.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

export function useRedisServer(commandTimeoutMs = 200) {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    server.resume();
    await server.flush();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server.stop();
  });
  return {
    get server(): RedisServer {
      return server;
    },
    /** A connected client as the service makes it (command timeout, no offline queue), closed after the file. */
    async client(): Promise<Redis> {
      const client = createRedisClient({ url: server.url, commandTimeoutMs });
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}
