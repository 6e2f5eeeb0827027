// Profiles one HTTP scenario: the service under `node --cpu-prof` on the server core, load from this
// core, then a self-time summary of the main thread's profile (see cpuprofile-summary.ts).
// Usage: node --import tsx bench/profile.ts [a|b|c|d_off|d_on] [--sinks otlp,langfuse,langsmith,loki] [--duration S] [--no-prof] [--top N]
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, summariseProfile } from './cpuprofile-summary.js';
import { startFakes } from './fakes.js';
import { healthz, measureRun, query, type RunContext } from './http-runs.js';
import { defaultLoader } from './load.js';
import { LOAD_CORE, pinSelf } from './pin.js';
import { allSinks, startServer, type ServerSpec, type SinkName } from './server.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '10' },
    'no-prof': { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
    sinks: { type: 'string' },
  },
});
const scenario = positionals[0] ?? 'c';
const specs: Record<string, ServerSpec> = {
  a: { name: 'profile-a', llm: 'offline', sinks: false },
  b: { name: 'profile-b', llm: 'offline', sinks: false },
  c: { name: 'profile-c', llm: 'offline', sinks: true },
  d_off: { name: 'profile-d-off', llm: 'gemini', sinks: false },
  d_on: { name: 'profile-d-on', llm: 'gemini', sinks: true },
};
const preset = specs[scenario];
if (!preset) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(specs).join(', ')}`);
const only = values.sinks?.split(',').filter(Boolean) as SinkName[] | undefined;
const unknownSink = only?.find((sink) => !allSinks.includes(sink));
if (unknownSink) throw new Error(`unknown sink ${unknownSink}; one of ${allSinks.join(', ')}`);
const spec: ServerSpec = only ? { ...preset, sinks: only } : preset;
const target = scenario === 'a' ? healthz : query;

pinSelf(LOAD_CORE);
const dir = mkdtempSync(join(tmpdir(), 'researcherai-profile-'));
const fakes = await startFakes();
try {
  const server = await startServer(spec, fakes.urls, dir, values['no-prof'] ? [] : ['--cpu-prof', '--cpu-prof-dir', dir]);
  const ctx: RunContext = { fakes, loader: defaultLoader, connections: 16, scratchDir: dir, settleMs: 1500 };
  await measureRun(server, target, 3, 0, { ...ctx, settleMs: 0 });
  // Only the measured run (and its settle time, when batched exports happen) is summarised, not start-up.
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const run = await measureRun(server, target, Number(values.duration), 1, ctx);
  const window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  const { sinkItemsPerRequest, ...figures } = run;
  console.log(JSON.stringify(figures), sinkItemsPerRequest ? JSON.stringify(sinkItemsPerRequest) : '');
  // SIGTERM runs the service's graceful shutdown, whose process.exit writes the profile.
  await server.stop();
  if (!values['no-prof']) {
    // Worker threads (pino transports) write their own profiles; the main thread's is the largest.
    const profiles = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
    for (const name of profiles.sort()) {
      console.log(`${formatSummary(summariseProfile(join(dir, name), Number(values.top), window), run.requests)}\n`);
    }
  }
  console.log(`profiles and server log in ${dir}`);
} finally {
  await fakes.close();
}
