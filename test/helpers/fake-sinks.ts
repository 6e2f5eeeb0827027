// Starts a fake for every external system the service talks to and gives the environment that points
// the service at them. No vitest imports: scripts/measure-failure-modes.ts uses it too.
import { startGeminiFake, type GeminiFake, type GeminiFakeOptions } from '../fakes/gemini.js';
import type { FakeMode } from '../fakes/http-fake.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';
import { startLokiFake, type LokiFake } from '../fakes/loki.js';
import { startOtlpReceiver, type OtlpReceiver } from '../fakes/otlp.js';

export type TelemetrySink = 'otlp' | 'langfuse' | 'langsmith' | 'loki';
export const telemetrySinks: readonly TelemetrySink[] = ['otlp', 'langfuse', 'langsmith', 'loki'];

export interface FakeSinks {
  gemini: GeminiFake;
  otlp: OtlpReceiver;
  langfuse: LangfuseFake;
  langsmith: LangSmithFake;
  /** Only when started with `loki: true`: it is a child process, and in-process loggers cannot use it. */
  loki?: LokiFake;
  /** Service environment for every started fake (Gemini included). */
  env: Record<string, string>;
  /** The same without Gemini: the service answers with its offline model, and only telemetry is exercised. */
  telemetryEnv: Record<string, string>;
  setMode(sink: TelemetrySink, mode: FakeMode): Promise<void>;
  /** Every byte each telemetry sink received (bodies and headers), for leak searches. */
  receivedText(): Promise<Record<TelemetrySink, string>>;
  close(): Promise<void>;
}

export const fakeCredentials = {
  gemini: 'test-key',
  langfusePublic: 'pk-lf-test',
  langfuseSecret: 'sk-lf-test',
  langsmith: 'ls-test-key',
} as const;

/** Service environment that points the Gemini provider at `gemini`. */
export const geminiEnv = (gemini: GeminiFake): Record<string, string> => ({ GEMINI_API_KEY: fakeCredentials.gemini, GEMINI_BASE_URL: gemini.url });

export async function startFakeSinks(options: { loki?: boolean; gemini?: GeminiFakeOptions } = {}): Promise<FakeSinks> {
  const [gemini, otlp, langfuse, langsmith, loki] = await Promise.all([
    startGeminiFake({ apiKey: fakeCredentials.gemini, ...options.gemini }),
    startOtlpReceiver(),
    startLangfuseFake({ publicKey: fakeCredentials.langfusePublic, secretKey: fakeCredentials.langfuseSecret }),
    startLangSmithFake({ apiKey: fakeCredentials.langsmith }),
    options.loki ? startLokiFake() : undefined,
  ]);
  const telemetryEnv: Record<string, string> = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
    LANGFUSE_PUBLIC_KEY: fakeCredentials.langfusePublic,
    LANGFUSE_SECRET_KEY: fakeCredentials.langfuseSecret,
    LANGFUSE_BASE_URL: langfuse.url,
    LANGSMITH_TRACING: 'true',
    LANGSMITH_API_KEY: fakeCredentials.langsmith,
    LANGSMITH_ENDPOINT: langsmith.url,
    ...(loki ? { LOKI_URL: loki.url } : {}),
  };
  const env = { GEMINI_API_KEY: fakeCredentials.gemini, GEMINI_BASE_URL: gemini.url, ...telemetryEnv };
  const httpFakes = { otlp, langfuse, langsmith };
  const requestText = (requests: Array<{ body: string; headers: object }>) =>
    requests.map((request) => `${JSON.stringify(request.headers)}\n${request.body}`).join('\n');

  return {
    gemini,
    otlp,
    langfuse,
    langsmith,
    loki,
    env,
    telemetryEnv,
    async setMode(sink, mode) {
      if (sink === 'loki') {
        if (!loki) throw new Error('the Loki fake was not started');
        await loki.setMode(mode);
      } else {
        await httpFakes[sink].setMode(mode);
      }
    },
    async receivedText() {
      const lokiRequests = loki ? await loki.requests() : [];
      return {
        otlp: requestText(otlp.requests),
        langfuse: requestText(langfuse.requests),
        langsmith: requestText(langsmith.requests),
        loki: requestText(lokiRequests),
      };
    },
    async close() {
      await Promise.all([gemini.close(), otlp.close(), langfuse.close(), langsmith.close(), loki?.close()]);
    },
  };
}
