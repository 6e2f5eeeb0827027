// A/B of the telemetry's own work, without HTTP: two checkouts' apps (bench/inproc-worker.ts, every sink
// on, the fakes on the other core) answer the same number of queries through `inject`, in alternating
// phases; each phase's CPU (all threads and the main thread), GC pause time and rate per query, then the
// median of the per-phase differences. Far steadier than bench/ab.ts on a shared machine for changes of
// 50–300 µs, because wrk, sockets and the HTTP stack are out of the measurement.
// Usage: node --import tsx bench/inproc-ab.ts [--b-checkout DIR] [--b-sinks otlp,langfuse,langsmith,loki|none] [--phases 8] [--queries 2000]
//        e.g. `--b-sinks none` gives the telemetry's whole price in-process (c − b without HTTP).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, spawnPinned, stopChild } from './child.js';
import { startFakes } from './fakes.js';
import { LOAD_CORE, SERVER_CORE, pinSelf } from './pin.js';
import { allSinks, serviceEnv, type SinkName } from './server.js';
import { median, round } from './stats.js';

const { values } = parseArgs({
  options: {
    'b-checkout': { type: 'string' },
    'b-sinks': { type: 'string' },
    phases: { type: 'string', default: '8' },
    queries: { type: 'string', default: '2000' },
  },
});
if (!values['b-checkout'] && !values['b-sinks']) throw new Error('B must differ: give --b-checkout DIR and/or --b-sinks');
const bSinks = values['b-sinks'] === 'none' ? [] : (values['b-sinks']?.split(',').filter(Boolean) as SinkName[] | undefined);
if (bSinks?.some((sink) => !allSinks.includes(sink))) throw new Error(`--b-sinks takes ${allSinks.join(', ')} or none`);
interface PhaseResult {
  cpuUs: number;
  mainUs: number;
  gcUs: number;
  qps: number;
}

pinSelf(LOAD_CORE);
const fakes = await startFakes();
const logDir = mkdtempSync(join(tmpdir(), 'researcherai-inproc-'));

function startWorker(name: string, checkout: string, sinks: boolean | readonly SinkName[] = true): Promise<{ child: ChildProcess; phase(queries: number): Promise<PhaseResult> }> {
  const log = openSync(join(logDir, `${name}.log`), 'w');
  const child = spawnPinned(['--import', 'tsx', join(repoRoot, 'bench/inproc-worker.ts'), checkout], {
    core: SERVER_CORE,
    cwd: checkout,
    env: { ...serviceEnv({ llm: 'offline', sinks }, fakes.urls, 0), LOG_LEVEL: 'info' },
    stdio: ['ignore', log, log, 'ipc'],
  });
  const next = () =>
    new Promise<unknown>((resolveMessage, reject) => {
      const exited = (code: number | null) => reject(new Error(`${name} exited (${code}); see ${logDir}/${name}.log`));
      child.once('exit', exited);
      child.once('message', (message) => {
        // One listener per phase would pile up on the child (Node warns at 11).
        child.off('exit', exited);
        resolveMessage(message);
      });
    });
  return next().then(() => ({
    child,
    phase: (queries: number) => {
      const result = next() as Promise<PhaseResult>;
      child.send({ queries, settleMs: 1200 });
      return result;
    },
  }));
}

const workers = [await startWorker('A', repoRoot), await startWorker('B', resolve(values['b-checkout'] ?? repoRoot), bSinks ?? true)];
try {
  const queries = Number(values.queries);
  for (const worker of workers) await worker.phase(queries); // warm-up: JIT, sockets, the fakes' first batches
  const results: [PhaseResult[], PhaseResult[]] = [[], []];
  for (let phase = 1; phase <= Number(values.phases); phase += 1) {
    // A B, then B A: neither side always runs right after the warm-up or the other's exports.
    const order = phase % 2 === 1 ? [0, 1] : [1, 0];
    for (const index of order) {
      const result = await workers[index]!.phase(queries);
      results[index]!.push(result);
      console.error(`phase ${phase} ${index === 0 ? 'A' : 'B'}: ${Math.round(result.cpuUs)} µs CPU/query (main ${Math.round(result.mainUs)}, GC pauses ${Math.round(result.gcUs)}), ${Math.round(result.qps)} q/s`);
    }
  }
  const summary = (key: keyof PhaseResult) => ({
    A: round(median(results[0].map((r) => r[key]))),
    B: round(median(results[1].map((r) => r[key]))),
    medianDeltaBminusA: round(median(results[1].map((r, i) => r[key] - results[0][i]![key]))),
  });
  console.log(JSON.stringify({ cpuUs: summary('cpuUs'), mainUs: summary('mainUs'), gcUs: summary('gcUs'), qps: summary('qps') }));
} finally {
  for (const worker of workers) await stopChild(worker.child, 10_000);
  await fakes.close();
}
