import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Repository root: every ops file path is relative to it, like in the README commands. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Replaces the environment entirely when given (PATH and HOME are always kept). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Written to the command's stdin (`promtool check metrics` reads the exposition there). */
  input?: string;
}

/**
 * Runs an ops binary (promtool, amtool, docker-compose…) to completion.
 * A missing binary rejects instead of resolving: CI installs these tools (.ci/run), so their
 * absence is a broken environment that must fail the suite, never a silent skip.
 */
export function runBinary(bin: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const env = options.env
    ? { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }
    : process.env;
  const command = [bin, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: options.cwd ?? repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    // A tool that exits without reading its input (amtool routes a test in milliseconds) closes the pipe;
    // the write then fails with EPIPE, which says nothing about the tool's result.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new Error(`${bin} is not installed; .ci/run installs it (apt-get install prometheus prometheus-alertmanager docker-compose)`)
          : error,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** Asserts the exit code and shows the command's output when it differs. */
export function expectExit(result: RunResult, code: number): void {
  expect(result.code, `${result.command}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

export async function expectSuccess(bin: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  const result = await runBinary(bin, args, options);
  expectExit(result, 0);
  return result;
}
