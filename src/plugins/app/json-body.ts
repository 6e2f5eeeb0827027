import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Fastify's JSON parser decodes the body leniently: invalid UTF-8 becomes U+FFFD and the request goes
 * through with text the client never sent. This one refuses such bodies with a 400, then parses as
 * Fastify does (prototype-poisoning keys refused).
 */
export default fp(
  async (app: FastifyInstance) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      const bytes = body as Buffer;
      if (!isUtf8(bytes)) {
        done(Object.assign(new Error('request body is not valid UTF-8'), { statusCode: 400 }), undefined);
        return;
      }
      parseJson(request, bytes.toString('utf8'), done);
    });
  },
  { name: 'json-body' },
);
