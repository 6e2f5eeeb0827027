import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BudgetError } from '../../llm/budget/errors.js';
import { LlmError } from '../../llm/errors.js';

const fastifyCodes: Record<string, { status: number; error: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'invalid_content_length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'invalid_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: 'invalid_json' },
};

const routeMethods = ['GET', 'HEAD', 'POST'] as const;

const errorNames: Record<number, string> = {
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** A model failure as clients see it, in a JSON error body or a stream's `error` event. */
export const describeLlmError = (error: LlmError) => ({
  error: error.type === 'shutting_down' ? error.type : `llm_${error.type}`,
  message: error.message,
});

/** Every error leaves as `{error, message, details?, trace_id?}`; 5xx details stay in the logs. */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      // The metrics port has no tracing, hence no trace id.
      const trace_id = app.hasRequestDecorator('traceId') ? request.traceId() : undefined;
      if (hasZodFastifySchemaValidationErrors(error)) {
        const details = error.validation.map((issue) => ({
          field: issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || (issue.params?.issue as { path?: unknown[] })?.path?.join('.') || '(body)',
          message: issue.message,
        }));
        return reply.code(400).send({
          error: 'validation_error',
          message: `invalid ${error.validationContext ?? 'request'}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
          details,
          trace_id,
        });
      }
      if (error instanceof BudgetError) {
        const retryAfter = error.retryAfterSeconds(Date.now());
        if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
        return reply.code(error.httpStatus).send({ ...error.body(), trace_id });
      }
      if (error instanceof LlmError) {
        request.log.error({ err: { type: error.type, message: error.message, upstream_status: error.upstreamStatus } }, 'query failed: model error');
        if (error.type === 'rate_limited' || error.type === 'circuit_open') {
          // Gemini's RetryInfo says when the quota frees up; without it, 30 s is a polite default.
          reply.header('retry-after', String(Math.ceil((error.retryAfterMs ?? 30_000) / 1000)));
        }
        return reply.code(error.httpStatus).send({ ...describeLlmError(error), trace_id });
      }
      const known = error.code ? fastifyCodes[error.code] : undefined;
      if (known) return reply.code(known.status).send({ error: known.error, message: error.message, trace_id });
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ error: errorNames[error.statusCode] ?? 'bad_request', message: error.message, trace_id });
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ error: 'internal_error', message: 'internal server error', trace_id });
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] as string;
      const allowed = routeMethods.filter((method) => app.hasRoute({ method, url: path }));
      if (allowed.length > 0) {
        return reply
          .code(405)
          .header('allow', allowed.join(', '))
          .send({ error: 'method_not_allowed', message: `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}` });
      }
      return reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${path}` });
    });
  },
  { name: 'errors' },
);
