import { z } from 'zod';

const identifier = z.string().trim().min(1).max(128).regex(/^[\w.@:-]+$/, 'letters, digits and . _ @ : - only');
const traceId = z.string().regex(/^[0-9a-f]{32}$/, 'a 32-character lowercase hex trace id');

/**
 * Text of at most `characters` characters and 3 bytes of UTF-8 per character on average: room for any
 * script, while 4-byte symbols (emoji) cannot multiply the size the length limit promises.
 */
const text = (characters: number) =>
  z
    .string()
    .max(characters)
    .refine((value) => Buffer.byteLength(value) <= characters * 3, `at most ${characters * 3} bytes of UTF-8`);

// Zero-width and other format characters, spaces and punctuation alone ask nothing, and would still cost a model call.
const asksSomething = (value: string) => /[\p{L}\p{N}]/u.test(value);

export const queryRequestSchema = z.strictObject({
  query: text(4000).trim().min(1).refine(asksSomething, 'must contain at least one letter or digit'),
  user_id: identifier.optional(),
  session_id: identifier.optional(),
  top_k: z.number().int().min(1).max(20).default(5),
});

const tokensSchema = z.object({
  input: z.number().int(),
  cached: z.number().int(),
  output: z.number().int(),
  reasoning: z.number().int(),
  total: z.number().int(),
});

const cacheSchema = z
  .object({
    hit: z.boolean(),
    age_s: z.number().int().optional(),
    saved_usd: z.number().nullable().optional().describe('what the cached answer cost when it was made'),
  })
  .describe('{hit: false} on a miss; on a hit, tokens and cost_usd are 0 because nothing was billed');

export const queryResponseSchema = z.object({
  answer: z.string(),
  sources: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      authors: z.array(z.string()),
      year: z.number().int(),
      url: z.string(),
      score: z.number().min(0).max(1),
    }),
  ),
  metadata: z.object({
    trace_id: traceId,
    feedback_token: z.string().describe('Send back with /api/feedback to score this answer'),
    model: z.string(),
    prompt: z
      .object({ name: z.string(), version: z.number().int(), label: z.string().nullable() })
      .describe('The prompt version that answered; label is the variant it was chosen by (null when PROMPT_VERSION pins it)'),
    query_type: z.string(),
    complexity: z.enum(['simple', 'medium', 'complex']),
    tokens: tokensSchema,
    cost_usd: z.number().nullable().describe('null when the model is not in the price table'),
    cache: cacheSchema,
    latency_ms: z.number(),
    retrieved_docs: z.number().int(),
    avg_relevance: z.number(),
    agents: z.array(z.object({ name: z.string(), latency_ms: z.number() })),
  }),
});

export const feedbackRequestSchema = z.strictObject({
  trace_id: traceId,
  is_helpful: z.boolean(),
  comment: text(2000).optional(),
  user_id: identifier.optional(),
  feedback_token: z.string().min(1).max(256),
});

export const feedbackResponseSchema = z.object({
  status: z.literal('success'),
  vote: z.enum(['new', 'replaced']).describe('replaced: this user had already judged this answer, and the new verdict replaced the old one'),
});

export const errorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
  trace_id: z.string().optional(),
});

/** The error body, described for one status in the OpenAPI document. */
export const errorResponse = (description: string) => errorResponseSchema.describe(description);

/** What every JSON-body API route can answer besides its own outcomes (401 is added when API keys are on). */
export const apiErrorResponses = {
  400: errorResponse('invalid body: `details` names each bad field'),
  413: errorResponse('body larger than BODY_LIMIT_BYTES'),
  415: errorResponse('body is not application/json'),
  429: errorResponse('rate limit exceeded for this user id or client address'),
  503: errorResponse('the service is shutting down; retry on another instance'),
};

/** What the routes that call the model add: its failures, with the trace id. */
export const modelErrorResponses = {
  502: errorResponse('the model failed: `llm_server_error`, `llm_malformed`, `llm_blocked`, `llm_max_tokens` or `llm_stream_error`'),
  503: errorResponse('`llm_rate_limited` or `llm_circuit_open` (with Retry-After), or `shutting_down`'),
  504: errorResponse('`llm_timeout`: no model answer within LLM_TIMEOUT_MS per attempt or LLM_DEADLINE_MS in all'),
};

/** 429: over the rate limit (`rate_limited`) or over a spend budget (`budget_exceeded`, with its figures). */
export const budgetErrorSchema = errorResponseSchema.extend({
  scope: z.enum(['service', 'caller', 'user']).optional(),
  budget_usd: z.number().optional(),
  spent_usd: z.number().optional(),
  resets_at: z.string().optional().describe('ISO time of the next UTC midnight, when the budget resets'),
});

export type QueryRequest = z.infer<typeof queryRequestSchema>;
export type QueryResponse = z.infer<typeof queryResponseSchema>;
