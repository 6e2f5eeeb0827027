import { z } from 'zod';
import { errorResponseSchema, queryRequestSchema, queryResponseSchema } from './schemas.js';

const itemErrorSchema = errorResponseSchema.pick({ error: true, message: true });

/** The batch contract; its limits come from the configuration (BATCH_MAX_ITEMS, BATCH_MAX_CONCURRENCY). */
export function batchSchemas(maxItems: number, maxConcurrency: number) {
  const request = z.strictObject({
    queries: z
      .array(
        z.strictObject({
          id: z.string().trim().min(1).max(128).optional().describe('echoed in the result; defaults to the item position'),
          query: queryRequestSchema.shape.query,
          top_k: queryRequestSchema.shape.top_k,
        }),
      )
      .min(1)
      .max(maxItems),
    user_id: queryRequestSchema.shape.user_id,
    session_id: queryRequestSchema.shape.session_id,
    concurrency: z.number().int().min(1).max(maxConcurrency).default(Math.min(4, maxConcurrency)),
  });
  const response = z.object({
    batch_id: z.string(),
    items: z.array(
      z.object({
        id: z.string(),
        status: z.enum(['ok', 'error']),
        answer: z.string().optional(),
        sources: queryResponseSchema.shape.sources.optional(),
        metadata: queryResponseSchema.shape.metadata.optional(),
        error: itemErrorSchema.optional(),
      }),
    ),
    summary: z.object({
      total: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      cost_usd: z.number().describe('sum over the items that were answered (unpriced models count 0)'),
      saved_usd: z.number().describe('what the cache hits among them would have cost'),
      latency_ms: z.number(),
    }),
  });
  return { request, response };
}

export type BatchItemResult = z.infer<ReturnType<typeof batchSchemas>['response']>['items'][number];
