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
}

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
  env?: Record<string, string>,
): Promise<HungSinksResult> {
  const server = await startServer(
    { name: 'g-hung-sinks', llm: 'offline', sinks: true, env },
    ctx.fakes.urls,
    logDir,
    process.env.BENCH_HUNG_GC_PROBE ? ['--expose-gc', '--import', process.env.BENCH_HUNG_GC_PROBE] : [],
  );
  try {
    await measureRun(server, query, warmupS, 0, { ...ctx, settleMs: 0 });
    const [healthy, rssHealthyPeakMb] = await withRssPeak(server, () => measureRun(server, query, durationS, 1, ctx));
    const rssHealthyMb = server.rssMb();
    await ctx.fakes.setMode('hang');
    // No sink receives anything, so no settle time is needed to count it.
    const [run, rssPeakMb] = await withRssPeak(server, () => measureRun(server, query, durationS, 2, { ...ctx, settleMs: 0 }));
    const rssAfterMb = server.rssMb();
    if (process.env.BENCH_HUNG_GC_PROBE) {
      process.kill(server.pid, 'SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    if (process.env.BENCH_HUNG_METRICS) {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      console.error(text.split('\n').filter((line) => /^(nodejs_heap_size|nodejs_external|process_resident|nodejs_heap_space_size_used|telemetry_dropped)/.test(line)).join('\n'));
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
    };
  } finally {
    await ctx.fakes.setMode('ok');
    // Its shutdown would wait out hung exports; nothing it still holds is measured.
    await server.stop(2000);
  }
}
