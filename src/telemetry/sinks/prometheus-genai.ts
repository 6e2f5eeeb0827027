import { Histogram, type OpenMetricsContentType, type Registry } from 'prom-client';
import type { LlmCallRecord } from '../../llm/types.js';

// Explicit bucket boundaries of the OpenTelemetry GenAI metrics (semantic conventions v1.41.1, the last
// core release that holds them; the newer genai repository is moving token usage to counters).
export const operationDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const tokenUsageBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

// The convention's attributes with dots as underscores. An attribute a call does not have is an empty
// label, which Prometheus treats as absent.
const callLabels = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'server_address',
  'server_port',
] as const;

export function createGenAiMetrics(registers: Array<Registry<OpenMetricsContentType>>) {
  return {
    genAiOperationDuration: new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'GenAI operation duration (OTel gen_ai.client.operation.duration), retries included; error_type only on failure',
      labelNames: [...callLabels, 'error_type'],
      buckets: operationDurationBuckets,
      registers,
    }),
    genAiTokenUsage: new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens per GenAI operation (OTel gen_ai.client.token.usage); input includes cached, output includes reasoning',
      labelNames: [...callLabels, 'gen_ai_token_type'],
      buckets: tokenUsageBuckets,
      registers,
    }),
  };
}

export type GenAiMetrics = ReturnType<typeof createGenAiMetrics>;

/**
 * The response model is a bounded label: the price-table id it resolved to, the requested model when
 * the response named that one, else `_OTHER`; never free text from a response.
 */
function responseModelLabel({ cost, request, response }: LlmCallRecord): string {
  if (!response) return '';
  if (cost.pricedModel) return cost.pricedModel;
  return !response.responseModel || response.responseModel === request.model ? request.model : '_OTHER';
}

export function recordGenAiMetrics(
  metrics: GenAiMetrics,
  record: LlmCallRecord,
  providerName: string,
  serverAddress: { host: string; port: number } | undefined,
) {
  const labels = {
    gen_ai_operation_name: 'generate_content',
    gen_ai_provider_name: providerName,
    gen_ai_request_model: record.request.model,
    gen_ai_response_model: responseModelLabel(record),
    server_address: serverAddress?.host ?? '',
    server_port: serverAddress ? String(serverAddress.port) : '',
  };
  metrics.genAiOperationDuration.observe({ ...labels, error_type: record.error?.type ?? '' }, record.latencyMs / 1000);
  // Usage is known for every success, and for a failure only when the model billed tokens for it.
  if (record.status === 'error' && record.usage.total === 0) return;
  const { usage } = record;
  metrics.genAiTokenUsage.observe({ ...labels, gen_ai_token_type: 'input' }, usage.input + usage.cached);
  metrics.genAiTokenUsage.observe({ ...labels, gen_ai_token_type: 'output' }, usage.output + usage.reasoning);
}
