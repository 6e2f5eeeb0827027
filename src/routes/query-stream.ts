import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AnswerPlan, Orchestrator, ResearchAnswer } from '../agents/orchestrator.js';
import { LlmCallCancelled, LlmError } from '../llm/errors.js';
import { describeLlmError } from '../plugins/app/errors.js';
import type { AnswerOwner } from '../security/feedback-token.js';
import type { Telemetry } from '../telemetry/types.js';
import { answeredOutcome, toMetadata, toSource } from './answer-body.js';
import { callControlsFor } from './call-controls.js';
import { apiErrorResponses, modelErrorResponses, queryRequestSchema } from './schemas.js';

interface Options {
  orchestrate: Orchestrator;
  telemetry: Pick<Telemetry, 'recordQuery'>;
  issueFeedbackToken: (owner: AnswerOwner, promptVersion: number) => string;
  heartbeatMs: number;
}

/**
 * POST /api/query/stream: the answer of /api/query as server-sent events (meta, sources, delta…, then
 * done or error). Headers go out with the first event, so anything failing before it gets the usual
 * JSON error; after it, failures become an `error` event and the stream always ends with done or error.
 */
export const queryStreamRoutes: FastifyPluginAsyncZod<Options> = async (app, { orchestrate, telemetry, issueFeedbackToken, heartbeatMs }) => {
  app.post(
    '/api/query/stream',
    {
      schema: {
        tags: ['research'],
        summary: 'The /api/query answer streamed as text/event-stream: meta, sources, delta (one or more), then done or error',
        body: queryRequestSchema,
        operationId: 'streamResearchQuery',
        response: {
          200: {
            description: 'server-sent events: meta, sources, delta (one or more), then done or error',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...apiErrorResponses,
          ...modelErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { query, user_id: userId, session_id: sessionId, top_k: topK } = request.body;
      const sessionKey = sessionId ?? userId;
      const started = performance.now();
      const events = new PassThrough();
      const send = (event: string, data: unknown) => {
        // The client may be gone already; its socket, and this stream, are then destroyed.
        if (events.writable) events.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const clientGone = new AbortController();
      let planned!: (plan: AnswerPlan) => void;
      const firstEvent = new Promise<AnswerPlan>((resolve) => (planned = resolve));
      const owner = (traceId: string): AnswerOwner => ({ traceId, callerId: request.caller.id, userId });
      const answering = request.runInTraceContext(() =>
        orchestrate(
          { query, userId, sessionId, topK, controls: callControlsFor(request, userId) },
          {
            signal: clientGone.signal,
            onPlan: (plan) => {
              const { traceId, model, prompt, queryType, complexity } = plan;
              const feedback_token = issueFeedbackToken(owner(traceId), prompt.version);
              send('meta', { trace_id: traceId, feedback_token, model, prompt, query_type: queryType, complexity });
              planned(plan);
            },
            onSources: (sources) => send('sources', { sources: sources.map(toSource) }),
            onDelta: (text) => send('delta', { text }),
          },
        ),
      );
      let plan: AnswerPlan;
      try {
        plan = await Promise.race([firstEvent, answering.then(() => firstEvent)]);
      } catch (error) {
        telemetry.recordQuery({ status: 'error', sessionKey, traceId: request.traceId() ?? '' });
        throw error;
      }

      const heartbeat = setInterval(() => events.writable && events.write(': heartbeat\n\n'), heartbeatMs);
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) clientGone.abort();
      });
      const finished = (answer: ResearchAnswer) => {
        telemetry.recordQuery(answeredOutcome(answer, sessionKey, performance.now() - started));
        send('done', toMetadata(answer, performance.now() - started, issueFeedbackToken(owner(answer.traceId), answer.prompt.version)));
      };
      const failed = (error: unknown) => {
        if (error instanceof LlmCallCancelled || clientGone.signal.aborted) {
          telemetry.recordQuery({ status: 'cancelled', sessionKey, traceId: plan.traceId });
          return;
        }
        telemetry.recordQuery({ status: 'error', sessionKey, traceId: plan.traceId });
        if (error instanceof LlmError) {
          request.log.error({ err: { type: error.type, message: error.message, upstream_status: error.upstreamStatus } }, 'query stream failed: model error');
          send('error', { ...describeLlmError(error), trace_id: plan.traceId });
        } else {
          request.log.error({ err: error }, 'query stream failed');
          send('error', { error: 'internal_error', message: 'internal server error', trace_id: plan.traceId });
        }
      };
      void answering.then(finished, failed).finally(() => {
        clearInterval(heartbeat);
        events.end();
      });
      // The response schemas describe the JSON errors; the event stream itself is not validated.
      return (reply as FastifyReply)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no')
        .send(events);
    },
  );
};
