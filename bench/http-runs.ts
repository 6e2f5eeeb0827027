import { setTimeout as sleep } from 'node:timers/promises';
import type { Fakes, SinkCounts } from './fakes.js';
import { runLoad, type LoadResult, type Loader } from './load.js';
import type { RunningServer } from './server.js';
import { median, round } from './stats.js';
import { queryBody } from './workload.js';

export interface RunContext {
  fakes: Fakes;
  loader: Loader;
  connections: number;
  scratchDir: string;
  /** Idle time after each run so that batched exports (1 s schedules) land inside the CPU window. */
  settleMs: number;
}

export interface Target {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

export const healthz: Target = { method: 'GET', path: '/healthz' };
export const query: Target = { method: 'POST', path: '/api/query', body: queryBody };

export interface RunSample {
  round: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Server utime + stime from the start of the run to the end of the settle time, per request served. */
  cpuUsPerRequest: number;
  /** The main thread's share of cpuUsPerRequest; the rest is pino's worker, GC helpers and libuv's pool. */
  mainThreadUsPerRequest: number;
  /** Server CPU seconds per wall second while the load ran: near 1 means the server core was the bottleneck. */
  serverBusy: number;
  rssMb: number;
  /** What reached the sink fakes per request (sinks-on servers only). */
  sinkItemsPerRequest?: SinkCounts;
}

/** One load run against one server, with its CPU, RSS and (sinks on) what the sinks received. */
export async function measureRun(server: RunningServer, target: Target, durationS: number, roundIndex: number, ctx: RunContext): Promise<RunSample> {
  await ctx.fakes.reset();
  const cpuStart = server.cpuSeconds();
  const mainStart = server.mainThreadCpuSeconds();
  const load: LoadResult = await runLoad(
    ctx.loader,
    { url: `${server.url}${target.path}`, method: target.method, body: target.body, durationS, connections: ctx.connections },
    ctx.scratchDir,
  );
  const cpuLoaded = server.cpuSeconds();
  const rssMb = server.rssMb();
  await sleep(ctx.settleMs);
  const cpuEnd = server.cpuSeconds();
  const mainEnd = server.mainThreadCpuSeconds();
  const sample: RunSample = {
    round: roundIndex,
    requests: load.requests,
    rps: load.rps,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    non2xx: load.non2xx,
    errors: load.errors,
    cpuUsPerRequest: ((cpuEnd - cpuStart) / Math.max(1, load.requests)) * 1e6,
    mainThreadUsPerRequest: ((mainEnd - mainStart) / Math.max(1, load.requests)) * 1e6,
    serverBusy: (cpuLoaded - cpuStart) / load.durationS,
    rssMb,
  };
  if (server.spec.sinks !== false) {
    const counts = await ctx.fakes.counts();
    sample.sinkItemsPerRequest = Object.fromEntries(
      Object.entries(counts).map(([sink, count]) => [sink, round3(count / Math.max(1, load.requests))]),
    ) as unknown as SinkCounts;
  }
  return sample;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export interface ScenarioSummary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  mainThreadUsPerRequest: number;
  serverBusy: number;
  rssMb: number;
  requests: number;
  non2xx: number;
  errors: number;
  sinkItemsPerRequest?: SinkCounts;
  runs: RunSample[];
}

/** Medians over rounds; request and error counts are totals. */
export function summariseRuns(runs: RunSample[]): ScenarioSummary {
  const mid = (pick: (run: RunSample) => number) => round(median(runs.map(pick)));
  const last = runs[runs.length - 1];
  return {
    rps: mid((run) => run.rps),
    p50Ms: mid((run) => run.p50Ms),
    p99Ms: mid((run) => run.p99Ms),
    cpuUsPerRequest: mid((run) => run.cpuUsPerRequest),
    mainThreadUsPerRequest: mid((run) => run.mainThreadUsPerRequest),
    serverBusy: mid((run) => run.serverBusy),
    rssMb: mid((run) => run.rssMb),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    ...(last?.sinkItemsPerRequest ? { sinkItemsPerRequest: last.sinkItemsPerRequest } : {}),
    runs,
  };
}
