// A/B of one scenario: this repository's service (A) against B, which is another checkout (a copy with
// one change) and/or other environment variables. Both run on the server core and are loaded in
// alternation, so that a change is measured against the machine's drift rather than yesterday's run.
// Usage: node --import tsx bench/ab.ts [b|c|d_off|d_on] [--b-checkout DIR] [--b-env K=V,K=V] [--b-sinks otlp,langfuse,langsmith,loki]
//        [--rounds N] [--duration S]    e.g. `bench/ab.ts b --b-sinks langsmith` prices LangSmith alone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakes } from './fakes.js';
import { measureRun, query, summariseRuns, type RunContext, type RunSample } from './http-runs.js';
import { defaultLoader } from './load.js';
import { LOAD_CORE, pinSelf } from './pin.js';
import { allSinks, parseEnvList, startServer, type RunningServer, type ServerSpec, type SinkName } from './server.js';
import { median, round } from './stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '6' },
    'b-checkout': { type: 'string' },
    'b-env': { type: 'string' },
    'b-sinks': { type: 'string' },
  },
});
const scenario = positionals[0] ?? 'c';
const bEnv = parseEnvList(values['b-env']);
const bSinks = values['b-sinks']?.split(',').filter(Boolean) as SinkName[] | undefined;
if (bSinks?.some((sink) => !allSinks.includes(sink))) throw new Error(`--b-sinks takes ${allSinks.join(', ')}`);
if (!values['b-checkout'] && Object.keys(bEnv).length === 0 && !bSinks) throw new Error('B must differ: give --b-checkout, --b-env and/or --b-sinks');
const presets: Record<string, Omit<ServerSpec, 'name'>> = {
  b: { llm: 'offline', sinks: false },
  c: { llm: 'offline', sinks: true },
  d_off: { llm: 'gemini', sinks: false },
  d_on: { llm: 'gemini', sinks: true },
};
const preset = presets[scenario];
if (!preset) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(presets).join(', ')}`);

pinSelf(LOAD_CORE);
const dir = mkdtempSync(join(tmpdir(), 'researcherai-ab-'));
const fakes = await startFakes();
const servers: RunningServer[] = [];
try {
  servers.push(await startServer({ ...preset, name: 'A-this' }, fakes.urls, dir));
  const checkout = values['b-checkout'] ? resolve(values['b-checkout']) : undefined;
  servers.push(await startServer({ ...preset, ...(bSinks ? { sinks: bSinks } : {}), name: 'B-other', checkout, env: bEnv }, fakes.urls, dir));
  const ctx: RunContext = { fakes, loader: defaultLoader, connections: 16, scratchDir: dir, settleMs: 1500 };
  for (const server of servers) await measureRun(server, query, 3, 0, { ...ctx, settleMs: 0 });
  const runs: [RunSample[], RunSample[]] = [[], []];
  for (let r = 1; r <= Number(values.rounds); r += 1) {
    for (const [index, server] of servers.entries()) {
      const run = await measureRun(server, query, Number(values.duration), r, ctx);
      runs[index]?.push(run);
      console.error(`round ${r} ${server.spec.name}: ${Math.round(run.rps)} req/s, ${Math.round(run.cpuUsPerRequest)} µs CPU/request (main ${Math.round(run.mainThreadUsPerRequest)})`);
    }
  }
  const [a, b] = runs.map(summariseRuns);
  const delta = round(median(runs[1].map((run, i) => run.cpuUsPerRequest - (runs[0][i] as RunSample).cpuUsPerRequest)));
  console.log(
    JSON.stringify({
      scenario,
      A: { rps: a?.rps, cpuUsPerRequest: a?.cpuUsPerRequest, mainThreadUsPerRequest: a?.mainThreadUsPerRequest },
      B: { rps: b?.rps, cpuUsPerRequest: b?.cpuUsPerRequest, mainThreadUsPerRequest: b?.mainThreadUsPerRequest },
      medianCpuDeltaUs: delta,
    }),
  );
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await fakes.close();
}
