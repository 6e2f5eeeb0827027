import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCore } from './pin.js';

/** Repository root: children run from it so that `--import tsx` resolves. */
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export interface NodeChildOptions {
  core?: number;
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
  stdio?: StdioOptions;
}

/** Starts `node --import tsx <script>` from the repository root, pinned to `core` when given. */
export function spawnNode(script: string, args: string[], options: NodeChildOptions = {}): ChildProcess {
  const nodeArgv = [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args];
  const [command, argv] =
    options.core === undefined ? [process.execPath, nodeArgv] : onCore(options.core, process.execPath, nodeArgv);
  return spawn(command, argv, { cwd: repoRoot, env: options.env ?? process.env, stdio: options.stdio ?? ['pipe', 'pipe', 'inherit'] });
}

/** Resolves with the first stdout line parsed as JSON (how long-lived children announce themselves). */
export function firstJsonLine<T>(child: ChildProcess, what: string, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => done(new Error(`${what} printed nothing within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      try {
        done(undefined, JSON.parse(buffered.slice(0, newline)) as T);
      } catch {
        done(new Error(`${what} printed an unexpected first line: ${buffered.slice(0, newline)}`));
      }
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited with code ${code} before it was ready`));
    function done(error?: Error, value?: T) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Runs a child to completion and parses its last stdout line as JSON (how one-shot measurements report). */
export async function runJsonChild<T>(script: string, args: string[], options: NodeChildOptions = {}): Promise<T> {
  const child = spawnNode(script, args, { ...options, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = output.trim().split('\n');
  if (code !== 0) throw new Error(`${script} exited with code ${code}: ${output.slice(-2000)}`);
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
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
