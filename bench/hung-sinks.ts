import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureRun, query, type RunContext, type RunSample } from './http-runs.js';
import { startServer, type RunningServer } from './server.js';
import { round } from './stats.js';

export interface HungSinksResult extends RunSample {
  /** RSS at the end of the healthy phase and its peak during it. */
  rssHealthyMb: number;
  rssHealthyPeakMb: number;
  /** Peak RSS while every sink hung, and at the end. */
  rssPeakMb: number;
  rssAfterMb: number;
  /** Peak RSS with hung sinks minus peak RSS under the same load with healthy sinks: what the hang holds. */
  rssGrowthMb: number;
  /** Peak RSS with hung sinks minus RSS when they started hanging, heap growth under load included. */
  rssGrowthRawMb: number;
  healthyRps: number;
  /** With `probe`: the heap before and after a full GC forced at the end of the hang (bench/gc-probe.mjs). */
  gcProbe?: string;
}

export interface HungSinksOptions {
  /** Service variables set last, e.g. smaller queues. */
  env?: Record<string, string>;
  probe?: boolean;
}

const gcProbe = fileURLToPath(new URL('./gc-probe.mjs', import.meta.url));

async function withRssPeak<T>(server: RunningServer, work: () => Promise<T>): Promise<[T, number]> {
  let peak = server.rssMb();
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssMb())), 250);
  try {
    const result = await work();
    return [result, Math.max(peak, server.rssMb())];
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Scenario (g): a fresh sinks-on server under the same load twice: first with healthy sinks (V8's heap
 * grows under load whatever the sinks do), then with every sink fake hanging (accepting requests,
 * never answering). The figure is how much more memory the second phase needs than the first.
 */
export async function measureHungSinks(
  ctx: RunContext,
  durationS: number,
  warmupS: number,
  logDir: string,
  { env, probe = false }: HungSinksOptions = {},
): Promise<HungSinksResult> {
  const name = 'g-hung-sinks';
  const server = await startServer({ name, llm: 'offline', sinks: true, env }, ctx.fakes.urls, logDir, probe ? ['--expose-gc', '--import', gcProbe] : []);
  try {
    await measureRun(server, query, warmupS, 0, { ...ctx, settleMs: 0 });
    const [healthy, rssHealthyPeakMb] = await withRssPeak(server, () => measureRun(server, query, durationS, 1, ctx));
    const rssHealthyMb = server.rssMb();
    await ctx.fakes.setMode('hang');
    // No sink receives anything, so no settle time is needed to count it.
    const [run, rssPeakMb] = await withRssPeak(server, () => measureRun(server, query, durationS, 2, { ...ctx, settleMs: 0 }));
    const rssAfterMb = server.rssMb();
    let probed: string | undefined;
    if (probe) {
      process.kill(server.pid, 'SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      probed = readFileSync(join(logDir, `${name}.log`), 'utf8').split('\n').findLast((line) => line.startsWith('GC_PROBE '));
    }
    const { sinkItemsPerRequest: _nothing, ...sample } = run;
    return {
      ...sample,
      rssHealthyMb: round(rssHealthyMb),
      rssHealthyPeakMb: round(rssHealthyPeakMb),
      rssPeakMb: round(rssPeakMb),
      rssAfterMb: round(rssAfterMb),
      rssGrowthMb: round(rssPeakMb - rssHealthyPeakMb),
      rssGrowthRawMb: round(rssPeakMb - rssHealthyMb),
      healthyRps: round(healthy.rps),
      ...(probed ? { gcProbe: probed.slice('GC_PROBE '.length) } : {}),
    };
  } finally {
    await ctx.fakes.setMode('ok');
    // Its shutdown would wait out hung exports; nothing it still holds is measured.
    await server.stop(2000);
  }
}
