import { spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot, spawnPinned, stopChild } from './child.js';
import type { FakeUrls } from './fakes.js';
import { SERVER_CORE } from './pin.js';
import { cpuSeconds, mainThreadCpuSeconds, rssMb } from './proc.js';

export type SinkName = 'otlp' | 'langfuse' | 'langsmith' | 'loki';
export const allSinks: readonly SinkName[] = ['otlp', 'langfuse', 'langsmith', 'loki'];

export interface ServerSpec {
  name: string;
  llm: 'offline' | 'gemini';
  /** true: every sink; a list: only those (to price one sink at a time). */
  sinks: boolean | readonly SinkName[];
  /** Another checkout to run the service from (bench/ab.ts); this repository by default. */
  checkout?: string;
  /** Variables set last, e.g. LOG_LEVEL=warn for an A/B of log volume. */
  env?: Record<string, string>;
}

export interface RunningServer {
  spec: ServerSpec;
  url: string;
  pid: number;
  cpuSeconds(): number;
  mainThreadCpuSeconds(): number;
  rssMb(): number;
  stop(graceMs?: number): Promise<void>;
}

// Whatever the developer's shell exports must not change what is measured (a real key, extra sinks, auth).
const serviceVariables = /^(GEMINI_|GOOGLE_API_KEY$|LANGFUSE_|LANGSMITH_|LANGCHAIN_|OTEL_|LOKI_URL$|API_KEYS$|METRICS_|RATE_LIMIT_|CAPTURE_CONTENT$|LOG_LEVEL$|CORPUS_PATH$)/;

export function serviceEnv(spec: Pick<ServerSpec, 'llm' | 'sinks'>, fakes: FakeUrls, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !serviceVariables.test(key)));
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_ENV: 'bench',
    LOG_LEVEL: 'info',
    // 0 turns the limit off (the plugin still runs); the bench sends far more than 120 queries a minute.
    RATE_LIMIT_PER_MINUTE: '0',
    // The bench repeats one question: with the response cache on, every scenario would measure hits.
    // Scenario (h) measures the cache and turns it back on.
    CACHE_TTL_SECONDS: '0',
  });
  if (spec.llm === 'gemini') Object.assign(env, { GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: fakes.gemini });
  const sinks = spec.sinks === true ? allSinks : spec.sinks === false ? [] : spec.sinks;
  const sinkEnv: Record<SinkName, Record<string, string>> = {
    otlp: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: fakes.otlp },
    langfuse: { LANGFUSE_PUBLIC_KEY: 'pk-lf-test', LANGFUSE_SECRET_KEY: 'sk-lf-test', LANGFUSE_BASE_URL: fakes.langfuse },
    langsmith: { LANGSMITH_TRACING: 'true', LANGSMITH_API_KEY: 'ls-test-key', LANGSMITH_ENDPOINT: fakes.langsmith },
    loki: { LOKI_URL: fakes.loki },
  };
  for (const sink of sinks) Object.assign(env, sinkEnv[sink]);
  return env;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const builtCheckouts = new Set<string>();

/**
 * The node arguments of the checkout's `npm start` (`node [flags] dist/main.js`), after its `prestart`
 * step has built `dist/` if it was missing or stale: the bench measures the service as it is deployed.
 */
export function startCommand(checkout = repoRoot): string[] {
  // The test suite's smoke run: another test rebuilds dist/ at the same time, so it runs the sources.
  if (process.env.BENCH_FROM_SOURCE === '1') return ['--import', 'tsx', 'src/main.ts'];
  const { scripts } = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...nodeArgv] = (scripts.start ?? '').trim().split(/\s+/);
  if (command !== 'node') throw new Error(`${checkout}: npm start must be \`node …\` to be benchmarked, not \`${scripts.start}\``);
  if (!builtCheckouts.has(checkout)) {
    const prestart = spawnSync(process.execPath, ['scripts/prestart.mjs'], { cwd: checkout, stdio: 'inherit' });
    if (prestart.status !== 0) throw new Error(`${checkout}: building dist/ failed (${prestart.status})`);
    builtCheckouts.add(checkout);
  }
  return nodeArgv;
}

/**
 * Starts the service as `npm start` does (startCommand) on the server core, its output in
 * `<logDir>/<name>.log` (a file, as in production, rather than a pipe this process would have to drain).
 */
export async function startServer(
  spec: ServerSpec,
  fakes: FakeUrls,
  logDir: string,
  nodeArgs: string[] = [],
): Promise<RunningServer> {
  const port = await freePort();
  const log = openSync(join(logDir, `${spec.name}.log`), 'w');
  const child: ChildProcess = spawnPinned([...nodeArgs, ...startCommand(spec.checkout)], {
    core: SERVER_CORE,
    env: { ...serviceEnv(spec, fakes, port), ...spec.env },
    cwd: spec.checkout,
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(logDir, `${spec.name}.log`);
  await waitUntilServing(child, url, spec.name, logPath);
  const pid = child.pid as number;
  // A crashed server would otherwise surface as an ENOENT on /proc/<pid>, far from its cause.
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server ${spec.name} exited (${child.exitCode ?? child.signalCode}) during the bench; see ${logPath}`);
    }
    return pid;
  };
  return {
    spec,
    url,
    pid,
    cpuSeconds: () => cpuSeconds(alive()),
    mainThreadCpuSeconds: () => mainThreadCpuSeconds(alive()),
    rssMb: () => rssMb(alive()),
    stop: (graceMs = 10_000) => stopChild(child, graceMs),
  };
}

async function waitUntilServing(child: ChildProcess, url: string, name: string, logPath: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server ${name} exited with ${child.exitCode}; see ${logPath}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server ${name} did not serve /healthz within 30 s; see ${logPath}`);
}

/** `K=V,K=V` from a command line, as variables for ServerSpec.env. */
export const parseEnvList = (list = ''): Record<string, string> =>
  Object.fromEntries(list.split(',').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
