// `npm run bench`: what observability costs per request, side by side, on loopback.
// Usage: node --import tsx bench/run.ts [--smoke] [--out DIR] [--rounds N] [--duration S] [--connections C] [--loader wrk|autocannon]
// Without --out it writes bench/results.json and refreshes the generated section of docs/BENCHMARKS.md.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runJsonChild } from './child.js';
import { startFakes, type Fakes } from './fakes.js';
import { measureHungSinks } from './hung-sinks.js';
import { healthz, measureRun, query, summariseRuns, type RunContext, type RunSample, type Target } from './http-runs.js';
import { defaultLoader, type Loader } from './load.js';
import { LOAD_CORE, SERVER_CORE, pinSelf, pinningAvailable } from './pin.js';
import {
  checkTargets,
  describeMachine,
  httpScenarioTitles,
  markdownReport,
  updateBenchmarksDoc,
  type CacheHitResult,
  type ClientResult,
  type HttpScenarioId,
  type Results,
} from './report.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { measureScrapes } from './scrape.js';
import { serviceEnv, startServer, type RunningServer, type ServerSpec } from './server.js';
import { median, round } from './stats.js';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '16' },
    loader: { type: 'string', default: defaultLoader },
  },
});

// Full: about 4 minutes on 2 cores. Smoke: a few seconds per scenario, only to prove the bench still runs.
// The smoke run still warms up and measures for 2 s: on a starved CI machine a 1 s window with no warm-up
// can close before the first request of a cold server completes, which proves nothing either way.
const profile = args.smoke
  ? { runS: 2, warmupS: 1, rounds: 1, settleMs: 1200, hungSinksS: 1, clientCalls: 100, scrapes: 20 }
  : { runS: 8, warmupS: 2, rounds: 3, settleMs: 1200, hungSinksS: 15, clientCalls: 1000, scrapes: 200 };
const runS = Number(args.duration ?? profile.runS);
const rounds = Number(args.rounds ?? profile.rounds);
const loader = args.loader as Loader;
if (loader !== 'wrk' && loader !== 'autocannon') throw new Error(`--loader must be wrk or autocannon, not ${loader}`);
const outDir = resolve(args.out ?? join(repoRoot, 'bench'));
const scratchDir = mkdtempSync(join(tmpdir(), 'researcherai-bench-'));
const started = performance.now();

const servers: Record<'off' | 'on' | 'geminiOff' | 'geminiOn', ServerSpec> = {
  off: { name: 'offline-sinks-off', llm: 'offline', sinks: false },
  on: { name: 'offline-sinks-on', llm: 'offline', sinks: true },
  geminiOff: { name: 'gemini-sinks-off', llm: 'gemini', sinks: false },
  geminiOn: { name: 'gemini-sinks-on', llm: 'gemini', sinks: true },
};
const plan: Array<{ id: HttpScenarioId; server: keyof typeof servers; target: Target }> = [
  { id: 'a', server: 'off', target: healthz },
  { id: 'b', server: 'off', target: query },
  { id: 'c', server: 'on', target: query },
  { id: 'd_off', server: 'geminiOff', target: query },
  { id: 'd_on', server: 'geminiOn', target: query },
];

const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

async function runHttpScenarios(ctx: RunContext): Promise<Record<HttpScenarioId, RunSample[]>> {
  const running = {} as Record<keyof typeof servers, RunningServer>;
  try {
    // Started together: start-up is not measured, and on one core it is mostly module loading either way.
    await Promise.all(
      (Object.entries(servers) as Array<[keyof typeof servers, ServerSpec]>).map(async ([key, spec]) => {
        running[key] = await startServer(spec, ctx.fakes.urls, scratchDir);
      }),
    );
    for (const { id, server, target } of plan) {
      if (profile.warmupS === 0) break;
      log(`warm-up ${httpScenarioTitles[id]}`);
      await measureRun(running[server], target, profile.warmupS, 0, { ...ctx, settleMs: 0 });
    }
    const samples = Object.fromEntries(plan.map(({ id }) => [id, [] as RunSample[]])) as Record<HttpScenarioId, RunSample[]>;
    // A B A B: every scenario once per round, so that slow drift on a shared machine hits all of them.
    for (let r = 1; r <= rounds; r += 1) {
      for (const { id, server, target } of plan) {
        const sample = await measureRun(running[server], target, runS, r, ctx);
        samples[id].push(sample);
        log(`round ${r} ${httpScenarioTitles[id]}: ${Math.round(sample.rps)} req/s, ${Math.round(sample.cpuUsPerRequest)} µs CPU/request`);
      }
    }
    return samples;
  } finally {
    await Promise.all(Object.values(running).map((server) => server.stop()));
  }
}

/** Per-round ratio (or difference) of two scenarios' runs, then the median over rounds. */
function perRound(samples: Record<HttpScenarioId, RunSample[]>, x: HttpScenarioId, y: HttpScenarioId, combine: (x: RunSample, y: RunSample) => number): number {
  return round(median(samples[x].map((run, index) => combine(run, samples[y][index] as RunSample))));
}

function measureClient(fakes: Fakes, sinks: boolean): Promise<ClientResult> {
  return runJsonChild<ClientResult>('bench/micro-client.ts', [String(profile.clientCalls), '25'], {
    core: SERVER_CORE,
    env: serviceEnv({ llm: 'gemini', sinks }, fakes.urls, 0),
  });
}

/** (h): cache hit against miss, in process and through a real redis-server started for the run. */
async function measureCache(fakes: Fakes): Promise<{ memory: CacheHitResult; redis: CacheHitResult }> {
  const env = { ...serviceEnv({ llm: 'gemini', sinks: false }, fakes.urls, 0), CACHE_TTL_SECONDS: '3600', LOG_LEVEL: 'warn' };
  const run = (extra: Record<string, string>) =>
    runJsonChild<CacheHitResult>('bench/cache-hit.ts', [String(profile.clientCalls), '25'], { core: SERVER_CORE, env: { ...env, ...extra } });
  const memory = await run({});
  const redis = await startRedisServer();
  try {
    return { memory, redis: await run({ REDIS_URL: redis.url, FEEDBACK_SECRET: 'bench' }) };
  } finally {
    await redis.stop();
  }
}

async function main(): Promise<void> {
  // The orchestrator (autocannon, if used), wrk and the fakes all inherit this core.
  pinSelf(LOAD_CORE);
  if (!pinningAvailable) log('taskset or a second core is missing: running unpinned, figures are not comparable');
  const fakes = await startFakes();
  try {
    const ctx: RunContext = { fakes, loader, connections: Number(args.connections), scratchDir, settleMs: profile.settleMs };
    const samples = await runHttpScenarios(ctx);
    log('(e) instrumented client vs raw SDK');
    const sinksOn = await measureClient(fakes, true);
    const sinksOff = await measureClient(fakes, false);
    log('(f) /metrics scrape');
    const scrape = await measureScrapes(fakes.urls, profile.scrapes);
    log('(g) every sink hanging');
    const hung = await measureHungSinks(ctx, profile.hungSinksS, profile.warmupS, scratchDir);
    log('(h) response cache: hit vs miss, in memory and through Redis');
    const cache = await measureCache(fakes);

    const scenarios = {
      ...(Object.fromEntries(plan.map(({ id }) => [id, summariseRuns(samples[id])])) as Record<HttpScenarioId, ReturnType<typeof summariseRuns>>),
      e: { sinksOn, sinksOff },
      f: scrape,
      g: hung,
      h: cache,
    };
    const ratios = {
      cOverB: perRound(samples, 'c', 'b', (c, b) => c.rps / b.rps),
      bOverA: perRound(samples, 'b', 'a', (b, a) => b.rps / a.rps),
      dOnOverOff: perRound(samples, 'd_on', 'd_off', (on, off) => on.rps / off.rps),
      telemetryCpuUsPerQuery: perRound(samples, 'c', 'b', (c, b) => c.cpuUsPerRequest - b.cpuUsPerRequest),
      geminiTelemetryCpuUsPerQuery: perRound(samples, 'd_on', 'd_off', (on, off) => on.cpuUsPerRequest - off.cpuUsPerRequest),
    };
    const results: Results = {
      meta: {
        date: new Date().toISOString(),
        command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
        mode: args.smoke ? 'smoke' : 'full',
        elapsedS: round((performance.now() - started) / 1000),
        machine: describeMachine(),
        settings: { runS, warmupS: profile.warmupS, rounds, connections: ctx.connections, loader, pinned: pinningAvailable, hungSinksS: profile.hungSinksS },
      },
      scenarios,
      ratios,
      targets: checkTargets(scenarios, ratios),
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    const report = markdownReport(results);
    process.stdout.write(`${report}\n`);
    if (!args.smoke && args.out === undefined && updateBenchmarksDoc(join(repoRoot, 'docs/BENCHMARKS.md'), report)) {
      log('docs/BENCHMARKS.md updated');
    }
    log(`wrote ${join(outDir, 'results.json')}; server logs in ${scratchDir}`);
  } finally {
    await fakes.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
