// Runs the real entry point (`node --import tsx src/main.ts`) as a child, for what only a process shows:
// signals, exit codes, the Loki transport's worker thread and stdout. No vitest imports: the
// measurement script uses it too.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly pid: number;
  /** Every stdout and stderr line so far. */
  readonly lines: string[];
  /** The stdout lines that are JSON log records. */
  logs(): Array<Record<string, unknown>>;
  readonly exited: Promise<ServiceExit>;
  /** Sends `signal` and resolves with the exit and how long it took from the signal. */
  stop(signal?: NodeJS.Signals): Promise<ServiceExit & { durationMs: number }>;
  /** SIGKILL, for cleanup after a failed test. */
  kill(): void;
}

/** Starts the service with exactly `env` (plus PATH), listening on a free loopback port. */
export async function startService(env: Record<string, string>, startTimeoutMs = 20_000): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<ServiceExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await waitForAddress(lines, exited, startTimeoutMs).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    pid: child.pid as number,
    lines,
    logs: () => lines.flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : [])),
    exited,
    async stop(signal = 'SIGTERM') {
      const started = performance.now();
      child.kill(signal);
      const exit = await exited;
      return { ...exit, durationMs: performance.now() - started };
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

async function waitForAddress(lines: string[], exited: Promise<ServiceExit>, timeoutMs: number): Promise<string> {
  let exit: ServiceExit | undefined;
  void exited.then((value) => (exit = value));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // main.ts logs the address it listens on once the server is up.
    const address = lines.map((line) => /"address":"(http:\/\/[^"]+)"/.exec(line)?.[1]).find(Boolean);
    if (address) return address;
    if (exit) throw new Error(`service exited (${exit.code ?? exit.signal}) before listening:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`service did not listen within ${timeoutMs} ms:\n${lines.join('\n')}`);
}
