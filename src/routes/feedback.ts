import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Telemetry } from '../telemetry/types.js';
import { errorResponseSchema, feedbackRequestSchema, feedbackResponseSchema } from './schemas.js';

interface Options {
  telemetry: Pick<Telemetry, 'recordFeedback'>;
  verifyFeedbackToken: (token: string, traceId: string, userId: string | undefined) => boolean;
}

export const feedbackRoutes: FastifyPluginAsyncZod<Options> = async (app, { telemetry, verifyFeedbackToken }) => {
  app.post(
    '/api/feedback',
    {
      schema: {
        tags: ['research'],
        summary: 'Thumbs up or down on an answer; recorded as the LangFuse score "user-feedback"',
        body: feedbackRequestSchema,
        response: { 200: feedbackResponseSchema, 400: errorResponseSchema, 403: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const { trace_id: traceId, is_helpful: helpful, comment, user_id: userId, feedback_token: token } = request.body;
      if (!verifyFeedbackToken(token, traceId, userId)) {
        return reply.code(403).send({
          error: 'invalid_feedback_token',
          message: 'feedback_token does not match this trace_id and user_id; use the token returned with the answer',
        });
      }
      telemetry.recordFeedback({ traceId, helpful, comment, userId });
      return { status: 'success' as const };
    },
  );
};
