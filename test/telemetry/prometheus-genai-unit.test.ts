import { Registry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { LlmCallRecord } from '../../src/llm/types.js';
import {
  createGenAiMetrics,
  operationDurationBuckets,
  recordGenAiMetrics,
  tokenUsageBuckets,
} from '../../src/telemetry/sinks/prometheus-genai.js';
import { parseSamples } from '../helpers/metrics-text.js';
import { traceFixture } from './langsmith-fixtures.js';

// The OTel GenAI histograms on their own registry, read back as a scraper sees them, one record per test.
function genAi() {
  const registry = new Registry<OpenMetricsContentType>();
  const metrics = createGenAiMetrics([registry]);
  return { metrics, text: () => registry.metrics() };
}

const server = { host: 'generativelanguage.googleapis.com', port: 443 };
const callLabels = {
  gen_ai_operation_name: 'generate_content',
  gen_ai_provider_name: 'gcp.gemini',
  gen_ai_request_model: 'gemini-2.5-flash',
  gen_ai_response_model: 'gemini-2.5-flash',
  server_address: server.host,
  server_port: '443',
};

function record(overrides: Partial<LlmCallRecord> = {}): LlmCallRecord {
  return { ...traceFixture().llm, ...overrides };
}

/** Every sample of `name` with its exact label set (an empty label is rendered as "", which Prometheus drops). */
function series(text: string, name: string) {
  return parseSamples(text)
    .filter((sample) => sample.name === name)
    .map(({ labels, value }) => ({ labels, value }));
}

const noUsage = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };

describe('OTel GenAI metrics', () => {
  it('declares both histograms with their names, help, exact convention buckets and label names', async () => {
    const { metrics, text } = genAi();
    expect(operationDurationBuckets).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    expect(tokenUsageBuckets).toEqual([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]);
    recordGenAiMetrics(metrics, record(), 'gcp.gemini', server);
    const body = await text();
    expect(body).toContain(
      '# HELP gen_ai_client_operation_duration_seconds GenAI operation duration (OTel gen_ai.client.operation.duration), retries included; error_type only on failure\n# TYPE gen_ai_client_operation_duration_seconds histogram\n',
    );
    expect(body).toContain(
      '# HELP gen_ai_client_token_usage Tokens per GenAI operation (OTel gen_ai.client.token.usage); input includes cached, output includes reasoning\n# TYPE gen_ai_client_token_usage histogram\n',
    );
    const durationBounds = series(body, 'gen_ai_client_operation_duration_seconds_bucket').map((sample) => sample.labels.le);
    expect(durationBounds).toEqual([...operationDurationBuckets.map(String), '+Inf']);
    const tokenBounds = series(body, 'gen_ai_client_token_usage_bucket')
      .filter((sample) => sample.labels.gen_ai_token_type === 'input')
      .map((sample) => sample.labels.le);
    expect(tokenBounds).toEqual([...tokenUsageBuckets.map(String), '+Inf']);
    expect(() => metrics.genAiOperationDuration.observe({ ...callLabels, error_type: 'timeout' }, 1)).not.toThrow();
    expect(() => metrics.genAiOperationDuration.observe({ ...callLabels, gen_ai_token_type: 'input' } as never, 1)).toThrow(/label/i);
    expect(() => metrics.genAiTokenUsage.observe({ ...callLabels, gen_ai_token_type: 'input' }, 1)).not.toThrow();
    expect(() => metrics.genAiTokenUsage.observe({ ...callLabels, error_type: 'timeout' } as never, 1)).toThrow(/label/i);
  });

  it('records a successful call: duration in seconds, input with cached and output with reasoning, exact labels', async () => {
    const { metrics, text } = genAi();
    recordGenAiMetrics(metrics, record(), 'gcp.gemini', server);
    const body = await text();
    expect(series(body, 'gen_ai_client_operation_duration_seconds_sum')).toEqual([{ labels: { ...callLabels, error_type: '' }, value: 0.0354 }]);
    expect(series(body, 'gen_ai_client_operation_duration_seconds_count')).toEqual([{ labels: { ...callLabels, error_type: '' }, value: 1 }]);
    expect(series(body, 'gen_ai_client_token_usage_sum')).toEqual([
      { labels: { ...callLabels, gen_ai_token_type: 'input' }, value: 1200 },
      { labels: { ...callLabels, gen_ai_token_type: 'output' }, value: 400 },
    ]);
    expect(series(body, 'gen_ai_client_token_usage_count').map((sample) => sample.value)).toEqual([1, 1]);
  });

  it('leaves the server labels empty without an address, and names the error type of a failure', async () => {
    const { metrics, text } = genAi();
    recordGenAiMetrics(metrics, record({ status: 'error', response: undefined, error: { type: 'timeout', message: 'late' } }), 'gcp.gemini', undefined);
    const body = await text();
    expect(series(body, 'gen_ai_client_operation_duration_seconds_count')).toEqual([
      {
        labels: { ...callLabels, gen_ai_response_model: '', server_address: '', server_port: '', error_type: 'timeout' },
        value: 1,
      },
    ]);
  });

  it('skips token usage for a failure that billed nothing, but not for a billed failure or an empty success', async () => {
    const unbilled = genAi();
    recordGenAiMetrics(unbilled.metrics, record({ status: 'error', usage: noUsage, error: { type: 'timeout', message: 'late' } }), 'gcp.gemini', server);
    const unbilledText = await unbilled.text();
    expect(series(unbilledText, 'gen_ai_client_operation_duration_seconds_count')).toHaveLength(1);
    expect(series(unbilledText, 'gen_ai_client_token_usage_count')).toEqual([]);

    const billed = genAi();
    recordGenAiMetrics(billed.metrics, record({ status: 'error', error: { type: 'max_tokens', message: 'cut' } }), 'gcp.gemini', server);
    expect(series(await billed.text(), 'gen_ai_client_token_usage_sum').map((sample) => sample.value)).toEqual([1200, 400]);

    const empty = genAi();
    recordGenAiMetrics(empty.metrics, record({ usage: noUsage }), 'gcp.gemini', server);
    expect(series(await empty.text(), 'gen_ai_client_token_usage_sum').map((sample) => sample.value)).toEqual([0, 0]);

    const cancelled = genAi();
    recordGenAiMetrics(cancelled.metrics, record({ status: 'cancelled', usage: noUsage }), 'gcp.gemini', server);
    expect(series(await cancelled.text(), 'gen_ai_client_token_usage_count').map((sample) => sample.value)).toEqual([1, 1]);
  });

  describe('response model label', () => {
    const unpriced = { pricedModel: undefined, costUsd: null, details: null };
    const responseModelOf = async (overrides: Partial<LlmCallRecord>) => {
      const { metrics, text } = genAi();
      recordGenAiMetrics(metrics, record(overrides), 'gcp.gemini', server);
      const [sample] = series(await text(), 'gen_ai_client_operation_duration_seconds_count');
      return sample?.labels.gen_ai_response_model;
    };
    const response = traceFixture().llm.response!;
    const request = { ...traceFixture().llm.request, model: 'gemini-9' };

    it('is the priced model when the price table resolved one, even if the response named another', async () => {
      expect(await responseModelOf({ request, response: { ...response, responseModel: 'free text' } })).toBe('gemini-2.5-flash');
    });

    it('is the requested model when the response names none or the same one', async () => {
      expect(await responseModelOf({ request, cost: unpriced, response: { ...response, responseModel: undefined } })).toBe('gemini-9');
      expect(await responseModelOf({ request, cost: unpriced, response: { ...response, responseModel: '' } })).toBe('gemini-9');
      expect(await responseModelOf({ request, cost: unpriced, response: { ...response, responseModel: 'gemini-9' } })).toBe('gemini-9');
    });

    it('is _OTHER for an unpriced response naming another model, and empty without a response', async () => {
      expect(await responseModelOf({ request, cost: unpriced, response: { ...response, responseModel: 'gemini-9-preview' } })).toBe('_OTHER');
      expect(await responseModelOf({ request, response: undefined })).toBe('');
    });
  });
});
