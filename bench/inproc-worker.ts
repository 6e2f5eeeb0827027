// One side of bench/inproc-ab.ts: the app of a checkout (its sources, through tsx), every sink on against
// the bench fakes, answering the bench's query through `inject` when the parent asks for a phase. Without
// sockets and a load generator, what is left to vary between phases is the service's own work.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { mainThreadCpuSeconds } from './proc.js';
import { queryBody } from './workload.js';

const checkout = process.argv[2] as string;
const from = (path: string) => import(pathToFileURL(join(checkout, path)).href);
const { loadConfig } = await from('src/config/index.ts');
const { startTelemetry } = await from('src/telemetry/index.ts');
const config = loadConfig(process.env);
const telemetry = startTelemetry(config);
const { buildApp } = await from('src/server.ts');
const app = await buildApp({ config, telemetry });

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

async function runQueries(count: number, inFlight = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < count) {
      const response = await app.inject({ method: 'POST', url: '/api/query', payload: queryBody, headers: { 'content-type': 'application/json' } });
      if (response.statusCode !== 200) throw new Error(`query failed: ${response.statusCode} ${response.body}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

process.on('message', async (message: { queries: number; settleMs: number }) => {
  const cpu = process.cpuUsage();
  const main = mainThreadCpuSeconds(process.pid);
  const gc = gcMs;
  const started = performance.now();
  await runQueries(message.queries);
  const servedMs = performance.now() - started;
  // Batched exports run on 1 s timers: the phase pays for the exports its queries caused.
  await new Promise((resolve) => setTimeout(resolve, message.settleMs));
  const used = process.cpuUsage(cpu);
  process.send?.({
    cpuUs: (used.user + used.system) / message.queries,
    mainUs: ((mainThreadCpuSeconds(process.pid) - main) * 1e6) / message.queries,
    gcUs: ((gcMs - gc) * 1000) / message.queries,
    qps: (message.queries / servedMs) * 1000,
  });
});
process.send?.({ ready: true });
