import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Registry, type OpenMetricsContentType } from 'prom-client';

const openMetricsAccept = /application\/openmetrics-text/;

// OpenMetrics-only syntax that plain-text (0.0.4) parsers reject: exemplars, the EOF marker and the
// `_created` series; counter family names also carry `_total` in 0.0.4's TYPE line.
function toPlainText(openMetrics: string): string {
  return openMetrics
    .split('\n')
    .filter((line) => line !== '# EOF' && !/^[^#]\S*_created(\{| )/.test(line))
    .map((line) => {
      if (line.startsWith('# TYPE ') && line.endsWith(' counter')) {
        const name = line.split(' ')[2] as string;
        return name.endsWith('_total') ? line : `# TYPE ${name}_total counter`;
      }
      if (line.startsWith('# HELP ')) {
        return line;
      }
      const exemplarAt = line.indexOf(' # {');
      return exemplarAt === -1 ? line : line.slice(0, exemplarAt);
    })
    .join('\n');
}

/** Serves OpenMetrics with exemplars to scrapers that ask for it (Prometheus does), plain text otherwise. */
export const metricsRoute: FastifyPluginAsync<{ registry: Registry<OpenMetricsContentType>; token?: string }> = async (
  app,
  { registry, token },
) => {
  app.get('/metrics', { schema: { hide: true }, config: { otel: false, rateLimit: false } }, async (request, reply) => {
    if (token) {
      const given = Buffer.from(request.headers.authorization?.replace(/^Bearer /, '') ?? '');
      const expected = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reply.code(401).send({ error: 'unauthorized', message: 'a valid metrics bearer token is required' });
      }
    }
    const body = await registry.metrics();
    if (openMetricsAccept.test(request.headers.accept ?? '')) {
      return reply.type(registry.contentType).send(body);
    }
    return reply.type(Registry.PROMETHEUS_CONTENT_TYPE).send(toPlainText(body));
  });
};
