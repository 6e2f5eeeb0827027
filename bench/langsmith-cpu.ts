// CPU per query with the LangSmith observer on and off, in one process: the app answers N queries
// through `inject` with the offline provider, phases alternate off/on, and each phase's CPU (user +
// system, process.cpuUsage) is divided by N. An "on" phase includes flushing its runs to the LangSmith
// fake, which runs in a child process on the other core, so the upload's cost is counted here and the
// fake's is not. Usage: node --expose-gc --import tsx bench/langsmith-cpu.ts [queries per phase] [on phases]
import { PerformanceObserver } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { loadEvalDataset } from '../src/eval/dataset.js';
import { createLangSmithSink } from '../src/telemetry/sinks/langsmith/index.js';
import { startTelemetry } from '../src/telemetry/index.js';
import { startFakes } from './fakes.js';
import { LOAD_CORE, SERVER_CORE, pinSelf, pinningAvailable } from './pin.js';

const perPhase = Number(process.argv[2] ?? 2000);
const pairs = Number(process.argv[3] ?? 5);
const inFlight = 8;

pinSelf(LOAD_CORE);
const fakes = await startFakes();
pinSelf(SERVER_CORE);

const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', APP_ENV: 'bench' });
const telemetry = startTelemetry(config, { logger: pino({ level: 'silent' }) });
const { buildApp } = await import('../src/server.js');
const app = await buildApp({ config, telemetry });
const langsmith = createLangSmithSink({
  settings: { apiKey: 'ls-test-key', endpoint: fakes.urls.langsmith, project: 'bench' },
  environment: 'bench',
  reporter: telemetry.reporter,
  requestTimeoutMs: 10_000,
});
const queries = loadEvalDataset().examples.map((example) => example.query);

// Pause time of the collector, to see how much of the difference is GC rather than the observer's own work.
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

async function runQueries(count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const query = queries[next++ % queries.length];
      const response = await app.inject({ method: 'POST', url: '/api/query', payload: { query } });
      if (response.statusCode !== 200) throw new Error(`query failed: ${response.statusCode} ${response.body}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function phase(on: boolean) {
  telemetry.sinks.langsmith = on ? langsmith : undefined;
  await fakes.reset();
  global.gc?.();
  const cpu = process.cpuUsage();
  const gcBefore = gcMs;
  const started = performance.now();
  await runQueries(perPhase);
  if (on) await langsmith.flush?.(30_000);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  const gcMsPerQuery = (gcMs - gcBefore) / perPhase;
  telemetry.sinks.langsmith = undefined;
  const runs = (await fakes.counts()).langsmithRuns;
  return { on, cpuMsPerQuery: (used.user + used.system) / 1000 / perPhase, gcMsPerQuery, queriesPerSecond: (perPhase / wallMs) * 1000, runs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  await phase(false);
  await phase(true); // warm-up of both paths: JIT, sockets, the fake's first batch
  // off, on, off, ..., off: each "on" is compared with the mean of the "off" phases on either side, which
  // cancels slow drifts of a shared machine; the median of those deltas is the result.
  const results = [await phase(false)];
  for (let pair = 0; pair < pairs; pair += 1) results.push(await phase(true), await phase(false));
  for (const result of results) {
    console.log(
      `${result.on ? 'on ' : 'off'}  ${result.cpuMsPerQuery.toFixed(3)} ms CPU/query (GC pauses ${result.gcMsPerQuery.toFixed(3)} ms)  ` +
        `${result.queriesPerSecond.toFixed(0)} q/s  ${result.runs} LangSmith runs`,
    );
  }
  const deltas = results.flatMap((result, index) =>
    result.on ? [result.cpuMsPerQuery - (results[index - 1]!.cpuMsPerQuery + results[index + 1]!.cpuMsPerQuery) / 2] : [],
  );
  const off = median(results.filter((result) => !result.on).map((result) => result.cpuMsPerQuery));
  const on = median(results.filter((result) => result.on).map((result) => result.cpuMsPerQuery));
  const complete = results.filter((result) => result.on).every((result) => result.runs === perPhase * 4);
  console.log(`added CPU per query, each "on" minus its neighbours: ${deltas.map((delta) => delta.toFixed(3)).join(', ')} ms`);
  console.log(
    `median off ${off.toFixed(3)} ms, on ${on.toFixed(3)} ms, median added ${median(deltas).toFixed(3)} ms CPU per query ` +
      `(${perPhase} queries per phase, ${pairs} pairs, pinned: ${pinningAvailable}, every run delivered: ${complete})`,
  );
} finally {
  await app.close();
  await telemetry.shutdown(5000);
  await fakes.close();
}
