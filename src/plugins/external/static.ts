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
 * Serves the built research page at `/`. No wildcard route: only the files present at start-up are
 * served, so every other path still reaches the JSON 404 handler.
 * @see https://github.com/fastify/fastify-static
 */
export const staticPage: FastifyPluginAsync<{ root?: string }> = async (app, { root = webRoot }) => {
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    decorateReply: false,
    setHeaders: (res) => res.setHeader('content-security-policy', pageContentSecurityPolicy),
  });
};
