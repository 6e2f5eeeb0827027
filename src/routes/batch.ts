import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import pLimit from 'p-limit';
import { BudgetError } from '../llm/budget/errors.js';
import { LlmError } from '../llm/errors.js';
import { answerQuery, type AnswerDependencies } from './answer.js';
import { batchSchemas, type BatchItemResult } from './batch-schemas.js';
import { callControlsFor } from './call-controls.js';
import type { Telemetry } from '../telemetry/types.js';
import { apiErrorResponses, errorResponse } from './schemas.js';

interface Options extends AnswerDependencies {
  telemetry: Pick<Telemetry, 'recordQuery' | 'batchItemTrace' | 'recordBatch'>;
  maxItems: number;
  maxConcurrency: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function itemError(error: unknown): { error: string; message: string } {
  if (error instanceof BudgetError) return { error: error.code, message: error.message };
  if (error instanceof LlmError) return { error: `llm_${error.type}`, message: error.message };
  return { error: 'internal_error', message: 'internal server error' };
}

/**
 * POST /api/batch: up to BATCH_MAX_ITEMS queries answered with bounded concurrency, in request order.
 * A failing item is an error entry, never a failed batch; each item is its own trace (feedback works per
 * item), linked to the batch's span.
 */
export const batchRoutes: FastifyPluginAsyncZod<Options> = async (app, { maxItems, maxConcurrency, ...dependencies }) => {
  const schemas = batchSchemas(maxItems, maxConcurrency);

  app.post(
    '/api/batch',
    {
      schema: {
        tags: ['research'],
        summary: 'Answer several research questions; each item has its own trace, answer or error',
        body: schemas.request,
        operationId: 'answerResearchBatch',
        response: {
          200: schemas.response,
          ...apiErrorResponses,
          429: errorResponse('rate limit exceeded: a batch counts as its number of items'),
        },
      },
    },
    async (request, reply) => {
      const { queries, user_id: userId, session_id: sessionId, concurrency } = request.body;
      // The request itself took one unit of the rate limit on arrival; each further item takes one more.
      const exceeded = await app.chargeRateLimit(request, queries.length - 1);
      if (exceeded) {
        return reply
          .code(429)
          .header('retry-after', String(exceeded.retryAfterSeconds))
          .send({ error: 'rate_limited', message: `a batch of ${queries.length} counts as ${queries.length} requests; rate limit of ${exceeded.max} per minute exceeded` });
      }
      const batchId = randomUUID();
      const controls = callControlsFor(request, userId);
      const { telemetry } = dependencies;
      const started = performance.now();
      const latencies: number[] = [];
      const limit = pLimit(concurrency);
      const items = await Promise.all(
        queries.map((item, index) =>
          limit(async (): Promise<BatchItemResult> => {
            const id = item.id ?? String(index);
            const itemTrace = request.runInTraceContext(() => telemetry.batchItemTrace());
            const itemStarted = performance.now();
            try {
              const answer = await answerQuery(
                dependencies,
                // LangFuse groups the items under the batch's session.
                { query: item.query, userId, sessionId: sessionId ?? `batch-${batchId}`, topK: item.top_k, controls, batch: { id: batchId, links: itemTrace.links } },
                { runIn: itemTrace.runIn, callerId: request.caller.id, fallbackTraceId: '' },
              );
              return { id, status: 'ok', ...answer };
            } catch (error) {
              request.log.warn({ event: 'batch_item_failed', batch_id: batchId, item: id, error: itemError(error).error }, 'batch item failed');
              return { id, status: 'error', error: itemError(error) };
            } finally {
              latencies.push(performance.now() - itemStarted);
            }
          }),
        ),
      );
      const answered = items.filter((item) => item.status === 'ok');
      const summary = {
        total: items.length,
        succeeded: answered.length,
        failed: items.length - answered.length,
        cost_usd: round(answered.reduce((sum, item) => sum + (item.metadata?.cost_usd ?? 0), 0), 12),
        saved_usd: round(answered.reduce((sum, item) => sum + (item.metadata?.cache.saved_usd ?? 0), 0), 12),
        latency_ms: round(performance.now() - started, 2),
      };
      request.runInTraceContext(() =>
        telemetry.recordBatch({ batchId, size: items.length, succeeded: summary.succeeded, failed: summary.failed, itemLatenciesMs: latencies }),
      );
      // The feedback tokens are credentials for this caller's feedback: no shared cache may keep them.
      reply.header('cache-control', 'no-store');
      return { batch_id: batchId, items, summary };
    },
  );
};
