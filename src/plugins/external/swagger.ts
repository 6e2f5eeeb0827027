import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorResponse } from '../../routes/schemas.js';
import { swaggerUiPolicy } from './helmet.js';

interface Options {
  /** API_KEYS is set: /api/* needs a bearer token. */
  keysConfigured: boolean;
  /** false: neither /docs nor /docs/json is served. */
  docsPublic: boolean;
}

const isApiRoute = (url: string) => url.startsWith('/api/');

/**
 * The OpenAPI document (/docs/json), generated from the routes' zod schemas, and Swagger UI (/docs).
 * With API keys on, every /api/* operation declares the bearer scheme (so Swagger UI's Authorize button
 * and generated clients send the key) and documents the 401 that auth answers. Register it before the
 * routes: only routes added afterwards are documented.
 * @see https://github.com/fastify/fastify-swagger
 */
export default fp(
  async (app: FastifyInstance, { keysConfigured: keysOn, docsPublic }: Options) => {
    if (!docsPublic) return;
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'ResearcherAI',
          version: '0.1.0',
          description: 'Instrumented multi-agent research API',
          license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
        },
        // Relative: the document is served by the API it describes, wherever that is deployed.
        servers: [{ url: '/', description: 'this service' }],
        components: keysOn ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'one of API_KEYS' } } } : {},
      },
      transform: (input) => {
        if (!isApiRoute(input.url)) return jsonSchemaTransform(input);
        const schema = input.schema as Record<string, unknown> & { response?: Record<string, unknown> };
        const security = keysOn ? [{ bearer: [] }] : [];
        const response = keysOn ? { ...schema.response, 401: errorResponse('missing or wrong API key (`Authorization: Bearer <key>`)') } : schema.response;
        return jsonSchemaTransform({ ...input, schema: { ...schema, security, response } });
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: swaggerUiPolicy });
  },
  { name: 'swagger' },
);
