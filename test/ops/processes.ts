import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './run.js';

/** A free loopback port (released just before use; good enough for a test machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** False once the process exited or could not start. */
  running(): boolean;
  /** The last lines of stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running child (the API, Prometheus) and keeps its output for diagnostics. */
export function startService(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv): Service {
  const child = spawn(bin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let failed = false;
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 60));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => {
    failed = true;
    lines.push(`${name}: ${error.message}`);
  });
  return {
    name,
    child,
    running: () => !failed && child.exitCode === null && child.signalCode === null,
    output: () => `--- ${name} output\n${lines.join('\n')}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
    },
  };
}

interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  describe: () => string;
  /** Services whose death ends the wait at once (a missing binary should not cost the whole timeout). */
  services?: Service[];
}

/** Polls `check` until it returns a value other than undefined, or fails with `describe()`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs, intervalMs = 250, describe, services = [] }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = services.find((service) => !service.running());
    if (dead) throw new Error(`${dead.name} is not running\n${dead.output()}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${describe()}${lastError ? `\nlast error: ${String(lastError)}` : ''}`);
}
