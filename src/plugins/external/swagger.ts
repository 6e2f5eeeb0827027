import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorResponse } from '../../routes/schemas.js';

interface Options {
  apiKeys: string[];
  docsPublic: boolean;
}

const isApiRoute = (url: string) => url.startsWith('/api/');

/**
 * The OpenAPI document at /docs/json and Swagger UI at /docs, generated from the routes' zod schemas.
 * With API keys on, every /api/* operation declares the bearer scheme (so Swagger UI's Authorize button
 * and generated clients send the key) and documents the 401 that auth answers. Register it before the
 * routes: only routes added afterwards are documented.
 */
export async function registerApiDocs(app: FastifyInstance, { apiKeys, docsPublic }: Options) {
  if (!docsPublic) return;
  const keysOn = apiKeys.length > 0;
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
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
