import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { voteId, type VoteStore } from '../feedback/votes.js';
import type { Telemetry } from '../telemetry/types.js';
import type { FeedbackTokens } from '../security/feedback-token.js';
import { apiErrorResponses, errorResponse, feedbackRequestSchema, feedbackResponseSchema } from './schemas.js';

interface Options {
  telemetry: Pick<Telemetry, 'recordFeedback'>;
  tokens: FeedbackTokens;
  votes: VoteStore;
}

const refusals = {
  invalid: {
    error: 'invalid_feedback_token',
    message: 'feedback_token does not match this trace_id, caller and user_id; use the token returned with the answer',
  },
  expired: { error: 'expired_feedback_token', message: 'feedback_token has expired; feedback is taken for a limited time after the answer' },
};

export const feedbackRoutes: FastifyPluginAsyncZod<Options> = async (app, { telemetry, tokens, votes }) => {
  app.post(
    '/api/feedback',
    {
      schema: {
        tags: ['research'],
        summary: 'Thumbs up or down on an answer; a repeated vote replaces the earlier one (LangFuse score "user-feedback")',
        body: feedbackRequestSchema,
        operationId: 'submitFeedback',
        response: {
          200: feedbackResponseSchema,
          ...apiErrorResponses,
          403: errorResponse('`invalid_feedback_token` (the token does not match this trace_id, caller and user_id) or `expired_feedback_token`'),
        },
      },
    },
    async (request, reply) => {
      const { trace_id: traceId, is_helpful: helpful, comment, user_id: userId, feedback_token: token } = request.body;
      const check = tokens.verify(token, { traceId, callerId: request.caller.id, userId });
      if (check !== 'valid') return reply.code(403).send(refusals[check]);
      const id = voteId(traceId, userId);
      const vote = await votes.record(id, helpful ? 'helpful' : 'unhelpful');
      telemetry.recordFeedback({ id, traceId, helpful, comment, userId, first: vote === 'new', promptVersion: tokens.promptVersionOf(token) });
      return { status: 'success' as const, vote };
    },
  );
};
