import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { answerQuery, type AnswerDependencies } from './answer.js';
import { callControlsFor } from './call-controls.js';
import { apiErrorResponses, budgetErrorSchema, modelErrorResponses, queryRequestSchema, queryResponseSchema } from './schemas.js';

export const queryRoutes: FastifyPluginAsyncZod<AnswerDependencies> = async (app, dependencies) => {
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
          429: budgetErrorSchema.describe('`rate_limited`, or `budget_exceeded` with scope, budget_usd, spent_usd, resets_at and Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { query, user_id: userId, session_id: sessionId, top_k: topK } = request.body;
      const answer = await answerQuery(
        dependencies,
        { query, userId, sessionId, topK, controls: callControlsFor(request, userId) },
        { runIn: (work) => request.runInTraceContext(work), callerId: request.caller.id, fallbackTraceId: request.traceId() ?? '' },
      );
      // The token is a credential for this caller's feedback: no shared cache may keep or replay it.
      reply.header('cache-control', 'no-store');
      return answer;
    },
  );
};
