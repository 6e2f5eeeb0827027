import type { FastifyRequest } from 'fastify';
import type { CacheMode } from '../llm/cache/response-cache.js';
import type { CallControls } from '../llm/cost-controls.js';

/** `no-store` wins over `no-cache`, as in HTTP; any other directive leaves the cache on. */
export function cacheModeOf(header: string | string[] | undefined): CacheMode {
  const directives = [header ?? []]
    .flat()
    .flatMap((value) => value.split(','))
    .map((directive) => directive.trim().toLowerCase());
  if (directives.includes('no-store')) return 'no-store';
  if (directives.includes('no-cache')) return 'no-cache';
  return 'default';
}

/**
 * Budgets follow the caller the caller plugin identified (API key, else client address), never the
 * body's user_id alone, which a client can rotate.
 */
export function callControlsFor(request: FastifyRequest, userId: string | undefined): CallControls {
  return { cache: cacheModeOf(request.headers['cache-control']), spender: { callerId: request.caller.id, userId } };
}
