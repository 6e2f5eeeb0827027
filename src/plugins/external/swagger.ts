import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { swaggerUiPolicy } from './helmet.js';

/**
 * The OpenAPI document (/docs/json), generated from the routes' zod schemas, and Swagger UI (/docs).
 * @see https://github.com/fastify/fastify-swagger
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'ResearcherAI', version: '0.1.0', description: 'Instrumented multi-agent research API' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: swaggerUiPolicy });
  },
  { name: 'swagger' },
);
