import { context } from '@opentelemetry/api';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Orchestrator, ResearchAnswer } from '../agents/orchestrator.js';
import type { Telemetry } from '../telemetry/index.js';
import { callControlsFor } from './call-controls.js';
import { requestTraceId } from './request-trace.js';
import { errorResponseSchema, queryRequestSchema, queryResponseSchema, type QueryResponse } from './schemas.js';

interface Options {
  orchestrate: Orchestrator;
  telemetry: Telemetry;
  issueFeedbackToken: (traceId: string, userId: string | undefined) => string;
}

export const queryRoutes: FastifyPluginAsyncZod<Options> = async (app, { orchestrate, telemetry, issueFeedbackToken }) => {
  app.post(
    '/api/query',
    {
      schema: {
        tags: ['research'],
        summary: 'Answer a research question from the paper corpus, with sources and full telemetry metadata',
        body: queryRequestSchema,
        response: { 200: queryResponseSchema, 400: errorResponseSchema, 502: errorResponseSchema, 503: errorResponseSchema, 504: errorResponseSchema },
      },
    },
    async (request) => {
      const { query, user_id: userId, session_id: sessionId, top_k: topK } = request.body;
      const sessionKey = sessionId ?? userId;
      const started = performance.now();
      try {
        const answer = await context.with(request.opentelemetry().context ?? context.active(), () => orchestrate({ query, userId, sessionId, topK, controls: callControlsFor(request, userId) }));
        telemetry.recordQuery({
          status: 'success',
          queryType: answer.queryType,
          costUsd: answer.llm.cost.costUsd,
          retrievedDocs: answer.retrievedDocs,
          averageRelevance: answer.averageRelevance,
          sessionKey,
          traceId: answer.traceId,
        });
        return toResponse(answer, performance.now() - started, issueFeedbackToken(answer.traceId, userId));
      } catch (error) {
        telemetry.recordQuery({ status: 'error', sessionKey, traceId: requestTraceId(request) ?? '' });
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
      cache: answer.llm.cache.hit
        ? { hit: true, age_s: answer.llm.cache.ageSeconds, saved_usd: answer.llm.cache.savedUsd }
        : { hit: false },
      latency_ms: Math.round(latencyMs * 100) / 100,
      retrieved_docs: answer.retrievedDocs,
      avg_relevance: answer.averageRelevance,
      agents: answer.agents.map(({ name, latencyMs: agentLatency }) => ({ name, latency_ms: agentLatency })),
    },
  };
}
