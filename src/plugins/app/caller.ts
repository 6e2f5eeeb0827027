import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKey } from '../../config/access.js';
import { bearerToken, equalsInConstantTime } from '../../security/credentials.js';

/** Who is calling: the API key when one was presented and is valid, else the client address. */
export interface Caller {
  /** `key:<name>` or `address:<ip>`: what limits and budgets are keyed on. Never a secret. */
  id: string;
  name: string;
  kind: 'key' | 'address';
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

// Compared against every key so the time taken does not reveal which one nearly matched.
function findKey(given: string, keys: ApiKey[]): ApiKey | undefined {
  let found: ApiKey | undefined;
  for (const key of keys) if (equalsInConstantTime(given, key.key)) found = key;
  return found;
}

const addressCaller = (ip: string): Caller => ({ id: `address:${ip}`, name: ip, kind: 'address' });

/**
 * Decides the caller once per request, before anything counts or checks it. A wrong or missing key is
 * an address caller: the auth plugin refuses it on /api, and the limiter counts it against the address.
 * `request.ip` follows TRUST_PROXY.
 */
const callerPlugin: FastifyPluginAsync<{ apiKeys: ApiKey[] }> = async (app, { apiKeys }) => {
  app.decorateRequest('caller', null as unknown as Caller);
  // The metrics port has no tracing.
  const traced = app.hasRequestDecorator('annotateTrace');
  app.addHook('onRequest', async (request) => {
    const token = apiKeys.length > 0 ? bearerToken(request.headers.authorization) : '';
    const key = token ? findKey(token, apiKeys) : undefined;
    request.caller = key ? { id: key.id, name: key.name, kind: 'key' } : addressCaller(request.ip);
    if (traced) request.annotateTrace({ 'caller.id': request.caller.id, 'caller.kind': request.caller.kind });
  });
};

// Not named 'caller': fastify-plugin copies the plugin onto a property of that name, which strict mode forbids.
export default fp(callerPlugin, { name: 'caller-identity', fastify: '5.x' });
