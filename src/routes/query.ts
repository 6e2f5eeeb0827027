import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Orchestrator, ResearchAnswer } from '../agents/orchestrator.js';
import type { AnswerOwner } from '../security/feedback-token.js';
import type { Telemetry } from '../telemetry/types.js';
import { apiErrorResponses, errorResponse, queryRequestSchema, queryResponseSchema, type QueryResponse } from './schemas.js';

interface Options {
  orchestrate: Orchestrator;
  telemetry: Pick<Telemetry, 'recordQuery'>;
  issueFeedbackToken: (owner: AnswerOwner) => string;
}

export const queryRoutes: FastifyPluginAsyncZod<Options> = async (app, { orchestrate, telemetry, issueFeedbackToken }) => {
  app.post(
    '/api/query',
    {
      schema: {
        tags: ['research'],
        summary: 'Answer a research question from the paper corpus, with sources and full telemetry metadata',
        body: queryRequestSchema,
        operationId: 'answerResearchQuery',
        response: {
          200: queryResponseSchema,
          ...apiErrorResponses,
          502: errorResponse('the model failed: `llm_server_error`, `llm_malformed`, `llm_blocked`, `llm_max_tokens` or `llm_stream_error`'),
          503: errorResponse('`llm_rate_limited` or `llm_circuit_open` (with Retry-After), or `shutting_down`'),
          504: errorResponse('`llm_timeout`: no model answer within LLM_TIMEOUT_MS per attempt or LLM_DEADLINE_MS in all'),
        },
      },
    },
    async (request, reply) => {
      const { query, user_id: userId, session_id: sessionId, top_k: topK } = request.body;
      const sessionKey = sessionId ?? userId;
      const started = performance.now();
      try {
        const answer = await request.runInTraceContext(() => orchestrate({ query, userId, sessionId, topK }));
        telemetry.recordQuery({
          status: 'success',
          queryType: answer.queryType,
          costUsd: answer.llm.cost.costUsd,
          retrievedDocs: answer.retrievedDocs,
          averageRelevance: answer.averageRelevance,
          sessionKey,
          traceId: answer.traceId,
        });
        // The token is a credential for this caller's feedback: no shared cache may keep or replay it.
        reply.header('cache-control', 'no-store');
        return toResponse(answer, performance.now() - started, issueFeedbackToken({ traceId: answer.traceId, callerId: request.caller.id, userId }));
      } catch (error) {
        telemetry.recordQuery({ status: 'error', sessionKey, traceId: request.traceId() ?? '' });
        throw error;
      }
    },
  );
};

function toResponse(answer: ResearchAnswer, latencyMs: number, feedbackToken: string): QueryResponse {
  return {
    answer: answer.answer,
    sources: answer.sources.map(({ paper, score }) => ({
      id: paper.id,
      title: paper.title,
      authors: paper.authors,
      year: paper.year,
      url: paper.url,
      score,
    })),
    metadata: {
      trace_id: answer.traceId,
      feedback_token: feedbackToken,
      model: answer.model,
      prompt: answer.prompt,
      query_type: answer.queryType,
      complexity: answer.complexity,
      tokens: answer.llm.usage,
      cost_usd: answer.llm.cost.costUsd,
      latency_ms: Math.round(latencyMs * 100) / 100,
      retrieved_docs: answer.retrievedDocs,
      avg_relevance: answer.averageRelevance,
      agents: answer.agents.map(({ name, latencyMs: agentLatency }) => ({ name, latency_ms: agentLatency })),
    },
  };
}
