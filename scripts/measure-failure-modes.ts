// Measures what a hanging telemetry sink costs: p99 latency with each sink hanging against all healthy,
// memory over a few thousand requests with every sink hanging, and how long SIGTERM takes.
// Usage: node --import tsx scripts/measure-failure-modes.ts [seconds per run, default 8] [memory rounds, default 6]
//          [--repeat=N, default 1: the scenario sequence N times, medians reported] [--memory-only]
// The service (src/main.ts, offline model: the telemetry path is what is measured) gets one core; this
// process (fakes and the load generator, bench/load.ts) the other, as in bench/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLoader, runLoad } from '../bench/load.js';
import { LOAD_CORE, SERVER_CORE, pinSelf, pinningAvailable } from '../bench/pin.js';
import { startFakeSinks, telemetrySinks, type FakeSinks, type TelemetrySink } from '../test/helpers/fake-sinks.js';
import { median } from '../test/helpers/stats.js';
import { metricValue } from '../test/helpers/metrics-text.js';
import { startService, type ServiceProcess } from '../test/helpers/service-process.js';

const seconds = Number(process.argv[2] ?? 8);
const memoryRounds = Number(process.argv[3] ?? 6);
const memoryOnly = process.argv.includes('--memory-only');
const repeat = Number(process.argv.find((arg) => arg.startsWith('--repeat='))?.split('=')[1] ?? 1);
const scratch = mkdtempSync(join(tmpdir(), 'failure-modes-'));
const loadSpec = (url: string, durationS: number) => ({
  url: `${url}/api/query`,
  method: 'POST' as const,
  body: JSON.stringify({ query: 'What are the latest advances in retrieval-augmented generation?' }),
  durationS,
  connections: 16,
});
const load = (url: string, durationS: number) => runLoad(defaultLoader, loadSpec(url, durationS), scratch);

async function withService<T>(sinks: FakeSinks, hanging: readonly TelemetrySink[], work: (service: ServiceProcess) => Promise<T>) {
  for (const fake of [sinks.otlp, sinks.langfuse, sinks.langsmith]) fake.reset();
  await sinks.loki?.reset();
  await Promise.all(telemetrySinks.map((sink) => sinks.setMode(sink, hanging.includes(sink) ? 'hang' : 'ok')));
  const service = await startService({ ...sinks.telemetryEnv, RATE_LIMIT_PER_MINUTE: '0' });
  if (pinningAvailable) spawnSync('taskset', ['-a', '-p', '-c', String(SERVER_CORE), String(service.pid)]);
  try {
    const result = await work(service);
    return { result, exit: await service.stop('SIGTERM') };
  } catch (error) {
    service.kill();
    throw error;
  }
}

async function latencyRow(sinks: FakeSinks, scenario: string, hanging: readonly TelemetrySink[]) {
  const { result, exit } = await withService(sinks, hanging, async (service) => {
    await load(service.url, 3); // warm-up: JIT, connection pools, first exports
    return load(service.url, seconds);
  });
  return {
    scenario,
    rps: Math.round(result.rps),
    p50Ms: Math.round(result.p50Ms * 10) / 10,
    p99Ms: Math.round(result.p99Ms * 10) / 10,
    failed: result.non2xx + result.errors,
    shutdownMs: Math.round(exit.durationMs),
    exitCode: exit.code,
  };
}

/** Resident and V8 heap memory from the service's own /metrics after each round of load. */
async function memoryWithEverySinkHanging(sinks: FakeSinks, rounds: number) {
  const { result } = await withService(sinks, telemetrySinks, async (service) => {
    const samples = [];
    let requests = 0;
    for (let round = 0; round <= rounds; round += 1) {
      requests += (await load(service.url, round === 0 ? 3 : 5)).requests;
      const text = await (await fetch(`${service.url}/metrics`)).text();
      samples.push({
        requests,
        rssMb: Math.round(metricValue(text, 'process_resident_memory_bytes') / 2 ** 20),
        heapUsedMb: Math.round(metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20),
        droppedSpans: metricValue(text, 'telemetry_dropped_total'),
      });
    }
    return samples;
  });
  return result;
}

pinSelf(LOAD_CORE);
const sinks = await startFakeSinks({ loki: true });
try {
  console.log(`load: ${defaultLoader}, 16 connections, ${seconds} s per run; pinned: ${pinningAvailable}`);
  if (!memoryOnly) {
    const scenarios: Array<[string, readonly TelemetrySink[]]> = [
      ['all healthy', []],
      ...telemetrySinks.map((sink): [string, TelemetrySink[]] => [`${sink} hanging`, [sink]]),
      ['all hanging', telemetrySinks],
    ];
    // Rounds interleave the scenarios, so that a noisy minute on a shared machine spreads over all rows.
    const runs: Array<Awaited<ReturnType<typeof latencyRow>>> = [];
    for (let round = 0; round < repeat; round += 1) {
      for (const [name, hanging] of scenarios) runs.push(await latencyRow(sinks, name, hanging));
    }
    console.table(runs);
    if (repeat > 1) {
      console.log('medians:');
      console.table(
        scenarios.map(([name]) => {
          const mine = runs.filter((run) => run.scenario === name);
          const med = (pick: (run: (typeof runs)[number]) => number) => median(mine.map(pick));
          return { scenario: name, rps: med((run) => run.rps), p50Ms: med((run) => run.p50Ms), p99Ms: med((run) => run.p99Ms), shutdownMs: med((run) => run.shutdownMs) };
        }),
      );
    }
  }
  console.log('memory with every sink hanging:');
  console.table(await memoryWithEverySinkHanging(sinks, memoryRounds));
} finally {
  await sinks.close();
}
