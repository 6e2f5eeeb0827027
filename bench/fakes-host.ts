// Child process that hosts every sink fake plus the Gemini fake, so that their CPU lands on the
// load generator's core rather than in the orchestrator's timing loop. Started by fakes.ts.
// Announces its FakeUrls once listening; a loopback control server switches modes and counts.
import { announce } from './child.js';
import { startGeminiFake } from '../test/fakes/gemini.js';
import { sendJson, startHttpFake, type FakeMode } from '../test/fakes/http-fake.js';
import { startLangfuseFake } from '../test/fakes/langfuse.js';
import { startLangSmithFake } from '../test/fakes/langsmith.js';
import { startLokiFake } from '../test/fakes/loki.js';
import { startOtlpReceiver } from '../test/fakes/otlp.js';

export interface FakeUrls {
  gemini: string;
  otlp: string;
  langfuse: string;
  langsmith: string;
  loki: string;
  control: string;
}

/** What reached each sink since the last reset. */
export interface SinkCounts {
  otlpSpans: number;
  langfuseObservations: number;
  langsmithRuns: number;
  lokiLines: number;
  geminiCalls: number;
  /** Request body bytes after decompression: what each exporter had to serialise. */
  otlpBytes: number;
  langfuseBytes: number;
  langsmithBytes: number;
}

const bodyBytes = (fake: { requests: Array<{ raw: Buffer }> }) => fake.requests.reduce((sum, request) => sum + request.raw.length, 0);

const modes: readonly FakeMode[] = ['ok', 'fail', 'hang', 'down'];

async function main(): Promise<void> {
  const [gemini, otlp, langfuse, langsmith, loki] = await Promise.all([
    startGeminiFake({ latencyMs: 0 }),
    startOtlpReceiver(),
    startLangfuseFake(),
    startLangSmithFake(),
    startLokiFake(),
  ]);
  const sinks = [otlp, langfuse, langsmith, loki];

  const control = await startHttpFake({
    handle: async (req, res) => {
      const route = `${req.method} ${req.path}`;
      if (route === 'POST /mode') {
        const mode = req.query.get('mode') as FakeMode;
        if (!modes.includes(mode)) return sendJson(res, 400, { error: `unknown mode ${mode}` });
        await Promise.all(sinks.map((sink) => sink.setMode(mode)));
        return sendJson(res, 200, { mode });
      }
      if (route === 'POST /reset') {
        // The fakes keep every request; resetting between runs keeps this process's memory flat.
        gemini.reset();
        otlp.reset();
        langfuse.reset();
        langsmith.reset();
        await loki.reset();
        return sendJson(res, 200, {});
      }
      if (route === 'GET /stats') {
        const counts: SinkCounts = {
          otlpSpans: otlp.spans().length,
          langfuseObservations: langfuse.spans().length,
          langsmithRuns: langsmith.runs().length,
          lokiLines: (await loki.entries()).length,
          geminiCalls: gemini.calls.length,
          otlpBytes: bodyBytes(otlp),
          langfuseBytes: bodyBytes(langfuse),
          langsmithBytes: bodyBytes(langsmith),
        };
        return sendJson(res, 200, counts);
      }
      sendJson(res, 404, { error: `no route ${route}` });
    },
  });

  const urls: FakeUrls = {
    gemini: gemini.url,
    otlp: `${otlp.url}/v1/traces`,
    langfuse: langfuse.url,
    langsmith: langsmith.url,
    loki: loki.url,
    control: control.url,
  };
  const shutdown = () => {
    void Promise.allSettled([...sinks, gemini, control].map((fake) => fake.close())).finally(() => process.exit(0));
  };
  // The parent holds stdin open; when it goes away, even by crashing, the fakes go too.
  process.stdin.on('end', shutdown);
  process.stdin.resume();
  process.on('SIGTERM', shutdown);
  announce(urls);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
