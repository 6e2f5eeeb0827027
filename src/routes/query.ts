import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { answerQuery, type AnswerDependencies } from './answer.js';
import { callControlsFor } from './call-controls.js';
import { budgetErrorSchema, errorResponseSchema, queryRequestSchema, queryResponseSchema } from './schemas.js';

export const queryRoutes: FastifyPluginAsyncZod<AnswerDependencies> = async (app, dependencies) => {
  app.post(
    '/api/query',
    {
      schema: {
        tags: ['research'],
        summary: 'Answer a research question from the paper corpus, with sources and full telemetry metadata',
        body: queryRequestSchema,
        response: {
          200: queryResponseSchema,
          400: errorResponseSchema,
          429: budgetErrorSchema,
          502: errorResponseSchema,
          503: errorResponseSchema,
          504: errorResponseSchema,
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
