// Starts Debian's real redis-server on a free port, without persistence, for one test file.
import { Redis } from 'ioredis';
import { freePort, startService, waitFor, type Service } from '../ops/processes.js';

export interface RedisServer {
  url: string;
  port: number;
  readonly service: Service;
  /** Stops the server (connections refused) until `restart`. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and every command hangs, as with a stuck Redis. */
  pause(): void;
  resume(): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const launch = (port: number) =>
  startService('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env);

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let service = launch(port);
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  admin.on('error', () => undefined);
  const answering = () =>
    waitFor(async () => ((await admin.ping()) === 'PONG' ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
      describe: () => `redis-server on port ${port} did not answer PING`,
      services: [service],
    });
  await answering();
  return {
    url,
    port,
    get service() {
      return service;
    },
    async kill() {
      service.child.kill('SIGCONT');
      await service.stop();
    },
    async restart() {
      service.child.kill('SIGCONT');
      await service.stop();
      service = launch(port);
      await answering();
    },
    pause: () => service.child.kill('SIGSTOP'),
    resume: () => service.child.kill('SIGCONT'),
    flush: async () => {
      await admin.flushall();
    },
    async stop() {
      admin.disconnect();
      service.child.kill('SIGCONT');
      await service.stop();
    },
  };
}
