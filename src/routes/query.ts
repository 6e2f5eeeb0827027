import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Orchestrator, ResearchAnswer } from '../agents/orchestrator.js';
import type { AnswerOwner } from '../security/feedback-token.js';
import type { Telemetry } from '../telemetry/types.js';
import { answeredOutcome, toMetadata, toSource } from './answer-body.js';
import { apiErrorResponses, modelErrorResponses, queryRequestSchema, queryResponseSchema, type QueryResponse } from './schemas.js';

interface Options {
  orchestrate: Orchestrator;
  telemetry: Pick<Telemetry, 'recordQuery'>;
  issueFeedbackToken: (owner: AnswerOwner, promptVersion: number) => string;
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
          ...modelErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { query, user_id: userId, session_id: sessionId, top_k: topK } = request.body;
      const sessionKey = sessionId ?? userId;
      const started = performance.now();
      try {
        const answer = await request.runInTraceContext(() => orchestrate({ query, userId, sessionId, topK }));
        telemetry.recordQuery(answeredOutcome(answer, sessionKey, performance.now() - started));
        // The token is a credential for this caller's feedback: no shared cache may keep or replay it.
        reply.header('cache-control', 'no-store');
        return toResponse(answer, performance.now() - started, issueFeedbackToken({ traceId: answer.traceId, callerId: request.caller.id, userId }, answer.prompt.version));
      } catch (error) {
        telemetry.recordQuery({ status: 'error', sessionKey, traceId: request.traceId() ?? '' });
        throw error;
      }
    },
  );
};

function toResponse(answer: ResearchAnswer, latencyMs: number, feedbackToken: string): QueryResponse {
  return { answer: answer.answer, sources: answer.sources.map(toSource), metadata: toMetadata(answer, latencyMs, feedbackToken) };
}
