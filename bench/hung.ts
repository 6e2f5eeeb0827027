// Scenario (g) alone, to try memory bounds: a fresh sinks-on server under load with healthy, then hung sinks.
// Usage: node --import tsx bench/hung.ts [--duration S] [--env K=V,K=V] [--probe]
// --probe forces a full GC at the end of the hang and reports the heap before and after (bench/gc-probe.mjs).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakes } from './fakes.js';
import { measureHungSinks } from './hung-sinks.js';
import { defaultLoader } from './load.js';
import { LOAD_CORE, pinSelf } from './pin.js';
import { parseEnvList } from './server.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '15' }, env: { type: 'string' }, probe: { type: 'boolean', default: false } } });

pinSelf(LOAD_CORE);
const dir = mkdtempSync(join(tmpdir(), 'researcherai-hung-'));
const fakes = await startFakes();
try {
  const result = await measureHungSinks({ fakes, loader: defaultLoader, connections: 16, scratchDir: dir, settleMs: 1200 }, Number(values.duration), 2, dir, {
    env: parseEnvList(values.env),
    probe: values.probe,
  });
  console.log(JSON.stringify(result, null, 2));
} finally {
  await fakes.close();
}
