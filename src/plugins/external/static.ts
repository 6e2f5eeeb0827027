import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Where `npm run build:web` writes the research page. */
export const webRoot = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Self only, no inline script or style: the page renders model output, which must never run. */
export const pageContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built research page: `/` and each file of dist/web present at start-up, so every other
 * path still reaches the JSON 404 handler. The API's rate limit and request spans are for questions,
 * not for the half-dozen files one page load fetches.
 * @see https://github.com/fastify/fastify-static
 */
export const staticPage: FastifyPluginAsync<{ root?: string }> = async (app, { root = webRoot }) => {
  if (!existsSync(root)) {
    app.log.warn({ root }, 'research page not built (npm run build:web): GET / answers 404');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    serve: false,
    setHeaders: (res) => res.setHeader('content-security-policy', pageContentSecurityPolicy),
  });
  const routeOptions = { schema: { hide: true }, config: { rateLimit: false, otel: false } } as const;
  app.get('/', routeOptions, (_request, reply) => reply.sendFile('index.html'));
  for (const file of readdirSync(root)) app.get(`/${file}`, routeOptions, (_request, reply) => reply.sendFile(file));
};
