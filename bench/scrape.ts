import { stopChild, spawnNode, waitForAnnouncement } from './child.js';
import type { FakeUrls } from './fakes.js';
import { SERVER_CORE } from './pin.js';
import { cpuSeconds } from './proc.js';
import { serviceEnv } from './server.js';
import { percentile, round } from './stats.js';

// Prometheus asks for OpenMetrics first; anything else gets the 0.0.4 text conversion.
const formats = {
  openMetrics: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
  text: 'text/plain;version=0.0.4',
} as const;
type Format = keyof typeof formats;

export interface FormatResult {
  p50Ms: number;
  p99Ms: number;
  bytes: number;
}

export interface ScrapeResult {
  scrapesPerFormat: number;
  /** Sample lines in the text format: the series count a scraper stores. */
  samples: number;
  openMetrics: FormatResult;
  text: FormatResult;
  /** Server CPU per scrape (both formats), from /proc. */
  cpuMsPerScrape: number;
}

/** Scenario (f): scrapes bench/metrics-host.ts (server core) from here, alternating the two formats. */
export async function measureScrapes(fakes: FakeUrls, scrapes: number): Promise<ScrapeResult> {
  const host = spawnNode('bench/metrics-host.ts', [], { core: SERVER_CORE, env: serviceEnv({ llm: 'offline', sinks: false }, fakes, 0) });
  try {
    const { url } = await waitForAnnouncement<{ url: string }>(host, 'bench/metrics-host.ts');
    const times: Record<Format, number[]> = { openMetrics: [], text: [] };
    const bytes: Record<Format, number> = { openMetrics: 0, text: 0 };
    let samples = 0;
    const scrape = async (format: Format, record: boolean) => {
      const started = performance.now();
      const response = await fetch(`${url}/metrics`, { headers: { accept: formats[format] } });
      const body = await response.text();
      const elapsed = performance.now() - started;
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      if (!record) return;
      times[format].push(elapsed);
      bytes[format] = Buffer.byteLength(body);
      if (format === 'text') samples = body.split('\n').filter((line) => line && !line.startsWith('#')).length;
    };
    for (let i = 0; i < Math.max(5, scrapes / 10); i += 1) {
      await scrape('openMetrics', false);
      await scrape('text', false);
    }
    const cpuStart = cpuSeconds(host.pid as number);
    for (let i = 0; i < scrapes; i += 1) {
      await scrape('openMetrics', true);
      await scrape('text', true);
    }
    const cpuMs = (cpuSeconds(host.pid as number) - cpuStart) * 1000;
    const summary = (format: Format): FormatResult => ({
      p50Ms: round(percentile(times[format], 50)),
      p99Ms: round(percentile(times[format], 99)),
      bytes: bytes[format],
    });
    return {
      scrapesPerFormat: scrapes,
      samples,
      openMetrics: summary('openMetrics'),
      text: summary('text'),
      cpuMsPerScrape: round(cpuMs / (2 * scrapes)),
    };
  } finally {
    await stopChild(host, 3000);
  }
}
