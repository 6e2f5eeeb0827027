import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSinks, type FakeSinks, type TelemetrySink } from '../helpers/fake-sinks.js';
import { postJson } from '../helpers/http-client.js';
import { startService } from '../helpers/service-process.js';

// Secrets sent every way a client can send them, then searched for in everything every sink received,
// in stdout and in /metrics. A real process, because Loki is fed from pino's worker thread.
const canaries = {
  bearer: 'canary-bearer-7f3a9c2e',
  cookie: 'canary-cookie-51d2e8aa',
  apiKeyHeader: 'canary-xapikey-0b6e41ff',
  queryString: 'canary-querystring-9c1d77',
  // Matches REDACT_PATTERNS below; sent inside the question and the feedback comment.
  inText: 'sk-canary-1234567890abcdef',
};
const redactPattern = 'sk-[A-Za-z0-9-]{16,}';
// Not a secret: ordinary question text, which only LangFuse and LangSmith keep unless CAPTURE_CONTENT is on.
const contentMarker = 'zebra-quasar-marker';

interface Collected {
  sinks: Record<TelemetrySink, string>;
  stdout: string;
  metrics: string;
}

const started: FakeSinks[] = [];
afterAll(async () => {
  await Promise.all(started.map((sinks) => sinks.close()));
});

async function runScenario(captureContent: boolean): Promise<Collected> {
  const sinks = await startFakeSinks({ loki: true });
  started.push(sinks);
  const service = await startService({
    ...sinks.env,
    API_KEYS: canaries.bearer,
    REDACT_PATTERNS: redactPattern,
    CAPTURE_CONTENT: String(captureContent),
    RATE_LIMIT_PER_MINUTE: '0',
  });
  try {
    const headers = {
      authorization: `Bearer ${canaries.bearer}`,
      cookie: `session=${canaries.cookie}`,
      'x-api-key': canaries.apiKeyHeader,
    };
    const question = `What is ${contentMarker} retrieval? My key is ${canaries.inText}`;
    const response = await postJson(service.url, `/api/query?api_key=${canaries.queryString}`, { query: question, user_id: 'alice' }, headers);
    expect(response.status).toBe(200);
    const { metadata } = (await response.json()) as { metadata: { trace_id: string; feedback_token: string } };
    await sinks.langsmith.waitForRuns((runs) => runs.length > 0, 5000);
    const feedback = await postJson(
      service.url,
      '/api/feedback',
      { trace_id: metadata.trace_id, is_helpful: true, user_id: 'alice', comment: `leaked ${canaries.inText}`, feedback_token: metadata.feedback_token },
      headers,
    );
    expect(feedback.status).toBe(200);
    // Refused requests carry secrets too.
    expect((await postJson(service.url, '/api/query', { query: 'x' }, { authorization: `Bearer ${canaries.bearer}x` })).status).toBe(401);
    const broken = await fetch(`${service.url}/api/query`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: `{"query":"${canaries.inText}` });
    expect(broken.status).toBe(400);

    const metrics = [
      await (await fetch(`${service.url}/metrics`)).text(),
      await (await fetch(`${service.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text(),
    ].join('\n');
    const exit = await service.stop('SIGTERM');
    expect(exit.code).toBe(0);
    return { sinks: await sinks.receivedText(), stdout: service.lines.join('\n'), metrics };
  } finally {
    service.kill();
  }
}

describe.each([false, true])('redaction with CAPTURE_CONTENT=%s', (captureContent) => {
  // One scenario per setting, run by whichever test needs it first: each test also passes when run alone.
  let scenario: Promise<Collected> | undefined;
  const collected = () => (scenario ??= runScenario(captureContent));

  it('keeps every canary secret out of every sink, stdout and /metrics', async () => {
    const { sinks, stdout, metrics } = await collected();
    const places = { ...sinks, stdout, metrics };
    for (const [place, text] of Object.entries(places)) {
      expect(text.length, `${place} received nothing`).toBeGreaterThan(0);
      for (const [name, canary] of Object.entries(canaries)) {
        expect(text.includes(canary), `${name} canary found in ${place}`).toBe(false);
      }
    }
  }, 40_000);

  it('keeps the question in LangFuse and LangSmith, masked where it matched REDACT_PATTERNS', async () => {
    const { sinks } = await collected();
    for (const sink of ['langfuse', 'langsmith'] as const) {
      expect(sinks[sink], sink).toContain(contentMarker);
      expect(sinks[sink], sink).toContain('[REDACTED]');
    }
  }, 40_000);

  it(`${captureContent ? 'also puts' : 'keeps'} prompt text ${captureContent ? 'in' : 'out of'} Jaeger spans and logs`, async () => {
    const { sinks, stdout } = await collected();
    for (const place of ['otlp', 'loki'] as const) expect(sinks[place].includes(contentMarker), place).toBe(captureContent);
    expect(stdout.includes(contentMarker), 'stdout').toBe(captureContent);
  }, 40_000);
});
