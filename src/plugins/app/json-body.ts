import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const unsupported = (message: string) => Object.assign(new Error(message), { statusCode: 415 });

/** Why the body cannot be read as UTF-8 JSON text, from its headers alone; undefined when it can. */
function refusedEncoding(request: FastifyRequest): Error | undefined {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return unsupported(`Content-Encoding ${encoding} is not accepted; send the JSON body uncompressed`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return unsupported(`charset ${charset} is not accepted; JSON bodies must be UTF-8`);
  }
  return undefined;
}

/**
 * Only `application/json` in UTF-8, uncompressed, is read (415 otherwise, text/plain included: Fastify
 * would parse it as a string). Fastify's JSON parser decodes leniently: invalid UTF-8 becomes U+FFFD and
 * the request goes through with text the client never sent, so such bodies get a 400. Then it parses as
 * Fastify does (prototype-poisoning keys refused).
 */
export default fp(
  async (app: FastifyInstance) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      const refused = refusedEncoding(request);
      if (refused) {
        done(refused, undefined);
        return;
      }
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
