// Parent-side handle for the fake Loki, which runs in a child process (see loki-server.ts for why).
// Everything that reads fake state is async because the state lives in the child.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pollUntil, type FakeMode } from './http-fake.js';
import type { LokiEntry, LokiPorts, LokiRequest } from './loki-server.js';

export type { LokiEntry, LokiRequest } from './loki-server.js';

export interface LokiFake {
  /** Base URL for pino-loki `host` (the push path is /loki/api/v1/push). */
  readonly url: string;
  readonly port: number;
  setMode(mode: FakeMode): Promise<void>;
  requests(): Promise<LokiRequest[]>;
  entries(): Promise<LokiEntry[]>;
  waitForEntries(predicate: (entries: LokiEntry[]) => boolean, timeoutMs?: number): Promise<LokiEntry[]>;
  reset(): Promise<void>;
  /** Kills the child process. */
  close(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./loki-server.ts', import.meta.url));
// `--import tsx` is resolved from the working directory, so run the child from the repository root.
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_TIMEOUT_MS = 15_000;

export async function startLokiFake(options: { port?: number } = {}): Promise<LokiFake> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, String(options.port ?? 0)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let ports: LokiPorts;
  try {
    ports = await readPorts(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const control = `http://127.0.0.1:${ports.controlPort}/_fake`;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T | undefined> {
    const response = await fetch(`${control}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`fake Loki control ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : ((await response.json()) as T);
  }

  const entries = async () => (await call<LokiEntry[]>('GET', '/entries')) ?? [];

  return {
    url: `http://127.0.0.1:${ports.port}`,
    port: ports.port,
    setMode: async (mode) => void (await call('POST', '/mode', { mode })),
    requests: async () => (await call<LokiRequest[]>('GET', '/requests')) ?? [],
    entries,
    waitForEntries: (predicate, timeoutMs = 3000) =>
      pollUntil(entries, predicate, timeoutMs, (last) => `entries so far: ${JSON.stringify(last.map((e) => e.line))}`),
    reset: async () => void (await call('POST', '/reset')),
    close: () => stopChild(child),
  };
}

function readPorts(child: ChildProcess): Promise<LokiPorts> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`fake Loki did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const newline = output.indexOf('\n');
      if (newline === -1) return;
      cleanup();
      try {
        resolve(JSON.parse(output.slice(0, newline)) as LokiPorts);
      } catch {
        reject(new Error(`fake Loki printed an unexpected first line: ${output.slice(0, newline)}`));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`fake Loki exited with code ${code} before listening`));
    function fail(error: Error) {
      cleanup();
      reject(error);
    }
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
