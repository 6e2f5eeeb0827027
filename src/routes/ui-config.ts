import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/index.js';

/** The trace id's placeholder in the link templates; the page substitutes each answer's id. */
const traceIdSlot = '{trace_id}';

/** Grafana Explore on the Loki data source (uid `loki`, grafana/provisioning), filtered to one trace. */
function grafanaExploreLink(base: string, serviceName: string): string {
  const panes = {
    a: {
      datasource: 'loki',
      queries: [{ refId: 'A', datasource: { type: 'loki', uid: 'loki' }, expr: `{service="${serviceName}"} | trace_id="${traceIdSlot}"` }],
      range: { from: 'now-1h', to: 'now' },
    },
  };
  return `${base.replace(/\/$/, '')}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes)).replace(encodeURIComponent(traceIdSlot), traceIdSlot)}`;
}

/** What the research page needs before its first request: which mode, whether it needs a key, trace links. */
export function uiSettings(config: Config) {
  const { jaegerUrl, langfuseUrl, grafanaUrl } = config.ui;
  const trim = (url: string) => url.replace(/\/$/, '');
  return {
    provider: config.llm.provider,
    auth_required: config.security.apiKeys.length > 0,
    links: {
      ...(jaegerUrl ? { jaeger: `${trim(jaegerUrl)}/trace/${traceIdSlot}` } : {}),
      ...(langfuseUrl ? { langfuse: `${trim(langfuseUrl)}/traces/${traceIdSlot}` } : {}),
      ...(grafanaUrl ? { grafana: grafanaExploreLink(grafanaUrl, config.serviceName) } : {}),
    },
  };
}

/** GET /ui-config.json: outside /api, because the page reads it before anyone typed an API key. */
export const uiConfigRoute: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const settings = uiSettings(config);
  app.get('/ui-config.json', { schema: { hide: true }, config: { rateLimit: false, otel: false } }, async (_request, reply) => reply.header('cache-control', 'no-store').send(settings));
};
