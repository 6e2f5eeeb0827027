import pino from 'pino';
import type { Config } from '../config/index.js';
import type { TokenUsage } from '../llm/usage.js';
import { startTelemetry } from '../telemetry/index.js';
import type { AnswerOutputs } from './evaluators.js';

export interface TargetOutputs extends AnswerOutputs {
  trace_id: string;
  model: string;
  tokens: TokenUsage;
  cost_usd: number | null;
  latency_ms: number;
}

export interface ResearchTarget {
  run(query: string): Promise<TargetOutputs>;
  close(): Promise<void>;
}

interface QueryResponse {
  answer: string;
  sources: Array<{ id: string }>;
  metadata: { trace_id: string; model: string; tokens: TokenUsage; cost_usd: number | null };
}

/**
 * The service in-process, as main.ts builds it, queried through `inject` so that the evaluation goes
 * through the same validation, orchestrator and telemetry as production traffic.
 */
export async function startResearchTarget(config: Config, topK: number): Promise<ResearchTarget> {
  const evalConfig: Config = {
    ...config,
    // The eval sends its whole dataset at once; in LangSmith mode the experiment records each run, so
    // the service's own LangSmith traces would only duplicate them.
    security: { ...config.security, rateLimitPerMinute: 0 },
    telemetry: { ...config.telemetry, langsmith: undefined },
  };
  // Progress lines and the table go to stdout; the service's logs would drown them, warnings aside.
  const telemetry = startTelemetry(evalConfig, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  const { buildApp } = await import('../server.js');
  const app = await buildApp({ config: evalConfig, telemetry });
  const authorization = config.security.apiKeys[0] ? { authorization: `Bearer ${config.security.apiKeys[0].key}` } : undefined;

  return {
    async run(query) {
      const started = performance.now();
      const response = await app.inject({ method: 'POST', url: '/api/query', headers: authorization, payload: { query, top_k: topK } });
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      if (response.statusCode !== 200) {
        const { error, message } = response.json() as { error?: string; message?: string };
        throw new Error(`query failed with HTTP ${response.statusCode}: ${error ?? ''} ${message ?? ''}`.trim());
      }
      const body = response.json() as QueryResponse;
      return {
        answer: body.answer,
        source_ids: body.sources.map((source) => source.id),
        trace_id: body.metadata.trace_id,
        model: body.metadata.model,
        tokens: body.metadata.tokens,
        cost_usd: body.metadata.cost_usd,
        latency_ms: latencyMs,
      };
    },
    async close() {
      await app.close();
      await telemetry.shutdown(config.shutdownTimeoutMs);
    },
  };
}
