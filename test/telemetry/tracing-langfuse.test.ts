import { getLangfuseTracer } from '@langfuse/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { startTracing } from '../../src/telemetry/sinks/tracing.js';
import { createFailureReporter } from '../../src/telemetry/support/failure-reporter.js';
import { startLangfuseFake, type LangfuseFake } from '../fakes/langfuse.js';
import { fakeCredentials } from '../helpers/fake-sinks.js';
import { metricValue } from '../helpers/metrics-text.js';

// startTracing's LangFuse destination against the fake: the OTLP path under a base URL written with a
// trailing slash, and the headers LangFuse's own span processor sends. NodeSDK registers the process-wide
// tracer provider once per process, so this file starts tracing once.
let langfuse: LangfuseFake;
beforeAll(async () => {
  langfuse = await startLangfuseFake({ publicKey: fakeCredentials.langfusePublic, secretKey: fakeCredentials.langfuseSecret });
});
afterAll(() => langfuse?.close());

describe('startTracing with LangFuse', () => {
  it('exports LangFuse’s spans to its OTLP endpoint under a base URL with a trailing slash, with the SDK’s headers', async () => {
    const config = loadConfig({
      LANGFUSE_PUBLIC_KEY: fakeCredentials.langfusePublic,
      LANGFUSE_SECRET_KEY: fakeCredentials.langfuseSecret,
      LANGFUSE_BASE_URL: `${langfuse.url}/`,
    });
    const metrics = createMetrics();
    const tracing = startTracing(config, createFailureReporter(metrics, () => undefined));
    getLangfuseTracer().startSpan('retrieval').end();
    await tracing.shutdown();
    expect(langfuse.requests.map(({ method, path, headers }) => [method, path, headers['x-langfuse-sdk-name'], headers['x-langfuse-public-key']])).toEqual([
      ['POST', '/api/public/otel/v1/traces', 'javascript', fakeCredentials.langfusePublic],
    ]);
    expect(langfuse.spans().map(({ name }) => name)).toEqual(['retrieval']);
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'telemetry_export_failures_total', { sink: 'langfuse' })).toBe(0);
  });
});
