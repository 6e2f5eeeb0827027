import type { ChildProcess } from 'node:child_process';
import type { FakeMode } from '../test/fakes/http-fake.js';
import { waitForAnnouncement, spawnNode, stopChild } from './child.js';
import type { FakeUrls, SinkCounts } from './fakes-host.js';

export type { FakeUrls, SinkCounts } from './fakes-host.js';

export interface Fakes {
  urls: FakeUrls;
  /** Switches every sink fake (OTLP, LangFuse, LangSmith, Loki); the Gemini fake keeps answering. */
  setMode(mode: FakeMode): Promise<void>;
  reset(): Promise<void>;
  counts(): Promise<SinkCounts>;
  close(): Promise<void>;
}

/** Starts bench/fakes-host.ts; it inherits this process's core, the load generator's. */
export async function startFakes(): Promise<Fakes> {
  const child: ChildProcess = spawnNode('bench/fakes-host.ts', []);
  const urls = await waitForAnnouncement<FakeUrls>(child, 'bench/fakes-host.ts').catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const call = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(`${urls.control}${path}`, { method });
    if (!response.ok) throw new Error(`fakes control ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    urls,
    setMode: async (mode) => void (await call('POST', `/mode?mode=${mode}`)),
    reset: async () => void (await call('POST', '/reset')),
    counts: () => call<SinkCounts>('GET', '/stats'),
    close: () => stopChild(child, 5000),
  };
}
