import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Where `npm run build:web` writes the research page. */
export const webRoot = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/**
 * Serves the built research page: `/` and each file of dist/web present at start-up, so every other
 * path still reaches the JSON 404 handler. The API's rate limit and request spans are for questions,
 * not for the half-dozen files one page load fetches. The page's CSP is helmet's (plugins/external/helmet.ts).
 * @see https://github.com/fastify/fastify-static
 */
const staticPage: FastifyPluginAsync<{ root?: string }> = async (app, { root = webRoot }) => {
  if (!existsSync(root)) {
    app.log.warn({ root }, 'research page not built (npm run build:web): GET / answers 404');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const routeOptions = { schema: { hide: true }, config: { rateLimit: false, otel: false } } as const;
  app.get('/', routeOptions, (_request, reply) => reply.sendFile('index.html'));
  for (const file of readdirSync(root)) app.get(`/${file}`, routeOptions, (_request, reply) => reply.sendFile(file));
};

// Not wrapped in fastify-plugin: the reply.sendFile it adds stays inside this plugin's scope.
export default staticPage;
