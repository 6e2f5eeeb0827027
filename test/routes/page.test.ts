import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebOutDir } from '../../scripts/build-web.js';
import { webRoot } from '../../src/plugins/external/static.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ensureTestWebBuilt, testWebRoot } from '../helpers/web-build.js';

let testApp: TestApp;
beforeAll(async () => {
  ensureTestWebBuilt();
  testApp = await startTestApp({
    RATE_LIMIT_PER_MINUTE: '5',
    UI_GRAFANA_URL: 'http://grafana.example:3000/',
    OTEL_SERVICE_NAME: 'researcherai',
  }, { webRoot: testWebRoot });
});
afterAll(() => testApp.close());

const get = (url: string) => testApp.app.inject({ url });

const pagePolicy = (header: unknown) =>
  Object.fromEntries(
    String(header)
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values.join(' ')]),
  );
const strictPolicy = { 'default-src': "'self'", 'script-src': "'self'", 'script-src-attr': "'none'", 'connect-src': "'self'", 'object-src': "'none'" };

describe('the research page routes', () => {
  it('serves the built page at / and its files, each with a self-only CSP without inline script, and never rate limits them', async () => {
    // More page loads than the limit of 5 requests a minute allows.
    for (let load = 0; load < 6; load += 1) {
      const page = await get('/');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(pagePolicy(page.headers['content-security-policy'])).toMatchObject(strictPolicy);
      expect(page.body).toContain('<script type="module" src="/app.js"></script>');
      for (const [file, type] of [['/app.js', 'application/javascript'], ['/style.css', 'text/css'], ['/render.js', 'application/javascript']]) {
        const asset = await get(file as string);
        expect(asset.statusCode, file).toBe(200);
        expect(asset.headers['content-type'], file).toMatch(new RegExp(`^${type}`));
        expect(pagePolicy(asset.headers['content-security-policy']), file).toMatchObject(strictPolicy);
      }
      expect((await get('/ui-config.json')).statusCode).toBe(200);
    }
  });

  it('answers any other path with the JSON 404, not a file', async () => {
    for (const url of ['/nope', '/../package.json', '/%2e%2e/package.json', '/app.ts']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ error: 'not_found' });
    }
  });

  it('gives the page its mode, whether it needs a key, and only the configured trace links', async () => {
    const settings = (await get('/ui-config.json')).json();
    expect(settings.provider).toBe('offline');
    expect(settings.auth_required).toBe(false);
    expect(Object.keys(settings.links)).toEqual(['grafana']);
    const link = new URL(settings.links.grafana.replace('{trace_id}', 'abc123'));
    expect(link.origin + link.pathname).toBe('http://grafana.example:3000/explore');
    expect(JSON.parse(link.searchParams.get('panes') as string)).toEqual({
      a: {
        datasource: 'loki',
        queries: [{ refId: 'A', datasource: { type: 'loki', uid: 'loki' }, expr: '{service="researcherai"} | trace_id="abc123"' }],
        range: { from: 'now-1h', to: 'now' },
      },
    });
  });

  it('serves by default from where `npm run build` puts the page', () => {
    expect(webRoot.replace(/\/$/, '')).toBe(join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'web'));
    expect(defaultWebOutDir).toBe(webRoot.replace(/\/$/, ''));
  });
});
