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

// Aborted a short grace after the logger starts closing. The main thread blocks (Atomics.wait) until
// this worker has closed, and pino-loki's last push would otherwise wait out its full timeout on a
// hanging Loki, holding the process past its shutdown budget.
const closing = new AbortController();

const originalFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  try {
    const signal = init?.signal ? AbortSignal.any([init.signal, closing.signal]) : closing.signal;
    const response = await originalFetch(url, { ...init, signal });
    if (!response.ok) report(countLines(init?.body));
    return response;
  } catch (error) {
    report(countLines(init?.body));
    throw error;
  }
};

export default function lokiTransport({ closeTimeoutMs = 1000, ...options }) {
  const stream = pinoLoki(options);
  // 'finish' comes when the logger has ended and every line reached pino-loki, just before its final push.
  stream.once('finish', () => setTimeout(() => closing.abort(), closeTimeoutMs).unref());
  return stream;
}
