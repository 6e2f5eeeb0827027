import helmet from '@fastify/helmet';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** Same-origin only and no inline script: what the service's own pages need, and nothing an injection could use. */
export const pageDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Security headers on every response, errors included. Swagger UI on /docs replaces the policy with
 * its own (see swaggerUiPolicy): it sets inline style attributes, nothing more.
 * @see https://github.com/fastify/fastify-helmet
 */
const helmetPlugin: FastifyPluginAsync = async (app) => {
  await app.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: pageDirectives } });
};

/** The page policy plus inline styles, which Swagger UI's React components set as style attributes. */
export const swaggerUiPolicy = Object.entries({ ...pageDirectives, 'style-src': ["'self'", "'unsafe-inline'"] })
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

export default fp(helmetPlugin, { name: 'helmet', fastify: '5.x' });
