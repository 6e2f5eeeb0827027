import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The server gets one core; the load generator, the fakes and this orchestrator share the other. */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

const tasksetWorks = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Pinning needs taskset and two cores; without them (a laptop, a small CI box) the bench still runs, unpinned. */
export const pinningAvailable = tasksetWorks && availableParallelism() >= 2;

/** Prefixes a command with `taskset -c <core>` when pinning is available. taskset execs, so the pid is the command's. */
export function onCore(core: number, command: string, args: string[]): [string, string[]] {
  return pinningAvailable ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}

/** Moves every thread of this process to `core`; children started later inherit it. */
export function pinSelf(core: number): void {
  if (!pinningAvailable) return;
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)]);
  if (result.status !== 0) throw new Error(`taskset could not pin the orchestrator: ${result.stderr.toString()}`);
}
