import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';

export type Loader = 'wrk' | 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  durationS: number;
  connections: number;
}

export interface LoadResult {
  /** Completed responses, whatever their status. */
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** Connect, read, write errors and timeouts. */
  errors: number;
}

/** wrk is C and leaves more of the shared core to the fakes; autocannon is the fallback where wrk is missing. */
export const defaultLoader: Loader = spawnSync('wrk', ['-v']).error ? 'autocannon' : 'wrk';

export function runLoad(loader: Loader, spec: LoadSpec, scratchDir: string): Promise<LoadResult> {
  return loader === 'wrk' ? runWrk(spec, scratchDir) : runAutocannon(spec);
}

// wrk's done() hook sees the exact latency histogram (µs); printing it as JSON avoids parsing wrk's text report.
const wrkReporter = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"status":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
`;

function wrkScript(spec: LoadSpec): string {
  const lines = [`wrk.method = "${spec.method}"`];
  if (spec.body !== undefined) {
    lines.push(`wrk.body = ${luaString(spec.body)}`, 'wrk.headers["Content-Type"] = "application/json"');
  }
  return `${lines.join('\n')}\n${wrkReporter}`;
}

const luaString = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

async function runWrk(spec: LoadSpec, scratchDir: string): Promise<LoadResult> {
  const script = join(scratchDir, `wrk-${spec.method.toLowerCase()}-${process.hrtime.bigint()}.lua`);
  writeFileSync(script, wrkScript(spec));
  // wrk takes whole seconds; one thread is plenty for 16 connections and keeps wrk to its core.
  const args = ['-t1', `-c${spec.connections}`, `-d${Math.max(1, Math.round(spec.durationS))}s`, '--timeout', '10s', '-s', script, spec.url];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const line = output.split('\n').find((candidate) => candidate.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no result: ${output}`);
  const raw = JSON.parse(line.slice('BENCH_JSON '.length)) as {
    requests: number;
    duration_us: number;
    p50_us: number;
    p99_us: number;
    status: number;
    errors: number;
  };
  const durationS = raw.duration_us / 1e6;
  return {
    requests: raw.requests,
    durationS,
    rps: raw.requests / durationS,
    p50Ms: raw.p50_us / 1000,
    p99Ms: raw.p99_us / 1000,
    non2xx: raw.status,
    errors: raw.errors,
  };
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const started = performance.now();
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    body: spec.body,
    headers: spec.body === undefined ? {} : { 'content-type': 'application/json' },
    connections: spec.connections,
    duration: spec.durationS,
  });
  const durationS = (performance.now() - started) / 1000;
  return {
    requests: result.requests.total,
    durationS,
    rps: result.requests.total / durationS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
