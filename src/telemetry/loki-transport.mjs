// pino transport (runs in pino's worker thread): pino-loki, plus a report of each failed push back to
// the main thread, where it is counted in telemetry_export_failures_total. pino-loki itself only prints
// failures, so this worker-local fetch wrapper is the one place that sees them together with their size.
// Plain JavaScript because the worker thread is started without the TypeScript loader.
import { parentPort } from 'node:worker_threads';
import { pinoLoki } from 'pino-loki';

const report = (droppedLines) =>
  parentPort?.postMessage({ code: 'EVENT', name: 'loki-export-failure', args: [droppedLines] });

const countLines = (body) => {
  try {
    return JSON.parse(String(body)).streams.reduce((sum, stream) => sum + stream.values.length, 0);
  } catch {
    return 0;
  }
};

const originalFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  try {
    const response = await originalFetch(url, init);
    if (!response.ok) report(countLines(init?.body));
    return response;
  } catch (error) {
    report(countLines(init?.body));
    throw error;
  }
};

export default function lokiTransport(options) {
  return pinoLoki(options);
}
