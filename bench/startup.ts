// Start-up time and RSS of the service, compiled (`node dist/main.js`, as `npm start` and the image run it)
// against the sources through tsx (`node --import tsx src/main.ts`), alternated so machine noise hits both.
// Usage: npm run build && node --import tsx bench/startup.ts [rounds, default 5]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { repoRoot } from './child.js';
import { rssMb } from './proc.js';
import { median } from './stats.js';

const rounds = Number(process.argv[2] ?? 5);
const variants = { compiled: ['dist/main.js'], tsx: ['--import', 'tsx', 'src/main.ts'] } as const;

async function measure(args: readonly string[]) {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const address = await new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
  });
  const startMs = performance.now() - started;
  const idleRssMb = rssMb(child.pid as number);
  for (let i = 0; i < 50; i += 1) {
    await fetch(`${address}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `What is RAG? ${i}` }) });
  }
  const servedRssMb = rssMb(child.pid as number);
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { startMs, idleRssMb, servedRssMb };
}

const results: Record<keyof typeof variants, Array<Awaited<ReturnType<typeof measure>>>> = { compiled: [], tsx: [] };
for (let round = 0; round < rounds; round += 1) {
  for (const name of ['compiled', 'tsx'] as const) results[name].push(await measure(variants[name]));
}
for (const [name, runs] of Object.entries(results)) {
  const summary = (key: 'startMs' | 'idleRssMb' | 'servedRssMb') => median(runs.map((run) => run[key])).toFixed(0);
  console.log(`${name}: start ${summary('startMs')} ms, RSS ${summary('idleRssMb')} MB idle, ${summary('servedRssMb')} MB after 50 queries (medians of ${rounds})`);
}
