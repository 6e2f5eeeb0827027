import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCore } from './pin.js';

/** Repository root: children run from it so that `--import tsx` resolves. */
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export interface NodeChildOptions {
  core?: number;
  /** Defaults to this repository; bench/ab.ts points it at another checkout. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
  stdio?: StdioOptions;
}

/** Starts `node --import tsx <script>` from the repository root, pinned to `core` when given. */
export function spawnNode(script: string, args: string[], options: NodeChildOptions = {}): ChildProcess {
  return spawnPinned([...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args], options);
}

/** Starts `node <nodeArgv>` with the options' core, directory, environment and stdio. */
export function spawnPinned(nodeArgv: string[], options: NodeChildOptions = {}): ChildProcess {
  const [command, argv] =
    options.core === undefined ? [process.execPath, nodeArgv] : onCore(options.core, process.execPath, nodeArgv);
  return spawn(command, argv, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: options.stdio ?? ['pipe', 'pipe', 'inherit'] });
}

// Children share stdout with the service's pino logs (written from a worker thread, in any order),
// so what they report to the orchestrator is a marked line rather than "the first" or "the last" line.
const readyMarker = 'BENCH_READY ';
const resultMarker = 'BENCH_RESULT ';

const markedLine = (marker: string, value: unknown) => `\n${marker}${JSON.stringify(value)}\n`;

/** Called by a long-lived child once it serves; `waitForAnnouncement` resolves with `value`. */
export function announce(value: unknown): void {
  process.stdout.write(markedLine(readyMarker, value));
}

/** Called by a one-shot child to hand its measurement to runJsonChild. */
export function reportResult(result: unknown): void {
  process.stdout.write(markedLine(resultMarker, result));
}

const findMarked = (output: string, marker: string) =>
  output.split('\n').find((line) => line.startsWith(marker))?.slice(marker.length);

/** Resolves with what a long-lived child passed to `announce`. */
export function waitForAnnouncement<T>(child: ChildProcess, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => done(new Error(`${what} was not ready within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const found = findMarked(buffered.slice(0, buffered.lastIndexOf('\n') + 1), readyMarker);
      if (found !== undefined) done(undefined, JSON.parse(found) as T);
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited with code ${code} before it was ready`));
    function done(error?: Error, value?: T) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining: a child blocked on a full stdout pipe would stall.
      child.stdout?.resume();
      if (error) reject(error);
      else resolve(value as T);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Runs a child to completion and returns what it passed to reportResult. */
export async function runJsonChild<T>(script: string, args: string[], options: NodeChildOptions = {}): Promise<T> {
  const child = spawnNode(script, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const found = findMarked(output, resultMarker);
  if (code !== 0 || found === undefined) throw new Error(`${script} exited with code ${code} without a result: ${output.slice(-2000)}`);
  return JSON.parse(found) as T;
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
