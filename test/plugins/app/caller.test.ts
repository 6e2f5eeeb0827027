import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../../fakes/otlp.js';
import { startTestApp } from '../../helpers/app.js';
import { loadConfig } from '../../../src/config/index.js';
import { httpServerOptions } from '../../../src/http-server.js';
import callerPlugin from '../../../src/plugins/app/caller.js';

async function appWith(env: Record<string, string>) {
  const config = loadConfig(env);
  const app = Fastify(httpServerOptions(config));
  await app.register(callerPlugin, { apiKeys: config.security.apiKeys });
  app.get('/whoami', async (request) => request.caller);
  return app;
}

const whoami = async (app: Awaited<ReturnType<typeof appWith>>, headers: Record<string, string> = {}, remoteAddress = '10.1.2.3') =>
  (await app.inject({ url: '/whoami', headers, remoteAddress })).json();

describe('caller identity', () => {
  it('is the named key when a valid one is presented, and never the key itself', async () => {
    const app = await appWith({ API_KEYS: 'mobile:sk-mobile-secret,sk-unnamed-secret' });
    expect(await whoami(app, { authorization: 'Bearer sk-mobile-secret' })).toEqual({ id: 'key:mobile', name: 'mobile', kind: 'key' });
    const unnamed = await whoami(app, { authorization: 'bearer sk-unnamed-secret' });
    expect(unnamed).toEqual({ id: expect.stringMatching(/^key:[0-9a-f]{12}$/), name: expect.stringMatching(/^[0-9a-f]{12}$/), kind: 'key' });
    expect(JSON.stringify(unnamed)).not.toContain('secret');
  });

  it('is the client address when the key is wrong or missing, or when no keys are configured', async () => {
    const withKeys = await appWith({ API_KEYS: 'mobile:sk-mobile-secret' });
    const address = { id: 'address:10.1.2.3', name: '10.1.2.3', kind: 'address' };
    expect(await whoami(withKeys, { authorization: 'Bearer sk-wrong' })).toEqual(address);
    expect(await whoami(withKeys)).toEqual(address);
    expect(await whoami(await appWith({}), { authorization: 'Bearer sk-mobile-secret' })).toEqual(address);
  });

  it('follows TRUST_PROXY for the address', async () => {
    const app = await appWith({ TRUST_PROXY: '10.0.0.0/8' });
    expect(await whoami(app, { 'x-forwarded-for': '198.51.100.9' })).toMatchObject({ id: 'address:198.51.100.9' });
    expect(await whoami(app, { 'x-forwarded-for': '198.51.100.9' }, '192.0.2.1')).toMatchObject({ id: 'address:192.0.2.1' });
  });

  it('names the caller on the request span, by key name and never by key', async () => {
    const otlp = await startOtlpReceiver();
    const service = await startTestApp({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, API_KEYS: 'mobile:sk-mobile-secret' });
    try {
      const response = await service.app.inject({
        method: 'POST',
        url: '/api/query',
        headers: { authorization: 'Bearer sk-mobile-secret' },
        payload: { query: 'what is RAG?' },
      });
      const traceId = (response.json() as { metadata: { trace_id: string } }).metadata.trace_id;
      await service.close();
      const span = otlp.spans().find((candidate) => candidate.traceId === traceId && candidate.name === 'POST /api/query');
      expect(span?.attributes).toMatchObject({ 'caller.id': 'key:mobile', 'caller.kind': 'key' });
      expect(JSON.stringify(otlp.spans())).not.toContain('sk-mobile-secret');
    } finally {
      await otlp.close();
    }
  });
});
