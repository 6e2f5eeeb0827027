// Scenario (f): the real app on the server core, its registry pre-populated the way a busy instance
// ends up (five models × statuses × error types, every route × the statuses it answers, agents, with
// exemplars where the metric has them). The orchestrator scrapes it over loopback, as Prometheus would.
// Usage: node --import tsx bench/metrics-host.ts   (announces {"url": …} once listening)
import { loadConfig } from '../src/config/index.js';
import { startTelemetry } from '../src/telemetry/index.js';
import type { Metrics } from '../src/telemetry/sinks/prometheus-registry.js';
import { announce } from './child.js';

const config = loadConfig();
const telemetry = startTelemetry(config);
const { buildApp } = await import('../src/server.js');
const app = await buildApp({ config, telemetry });
await app.ready();

const models = ['gemini-2.5-flash-lite', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash', 'gemini-3-pro-preview'];
const errorTypes = ['rate_limited', 'server_error', 'timeout', 'network', 'blocked', 'malformed', 'max_tokens', 'stream_error', 'client_error', 'circuit_open'];
// Each route with the methods and statuses it really answers; the full cross product would invent series.
const routes: Array<[route: string, method: string, statusCodes: string[]]> = [
  ['/api/query', 'POST', ['200', '400', '401', '413', '429', '500', '502', '503', '504']],
  ['/api/feedback', 'POST', ['200', '400', '401', '404', '429']],
  ['/healthz', 'GET', ['200']],
  ['/readyz', 'GET', ['200', '503']],
  ['/metrics', 'GET', ['200', '401']],
  ['/docs', 'GET', ['200']],
  ['unmatched', 'GET', ['404']],
  ['unmatched', 'POST', ['404']],
];
const queryTypes = ['definition', 'comparison', 'survey', 'how-to', 'other'];
const traceId = (n: number) => n.toString(16).padStart(32, '0');

function populate(metrics: Metrics): void {
  let n = 1;
  for (const model of models) {
    for (const status of ['success', 'error']) metrics.llmRequests.inc({ model, status }, 10);
    for (const errorType of errorTypes) {
      metrics.llmErrors.inc({ model, error_type: errorType });
      metrics.llmRetries.inc({ model, error_type: errorType });
    }
    for (const type of ['input', 'cached', 'output', 'reasoning']) metrics.llmTokens.inc({ model, type }, 1000);
    for (const version of ['1', '2']) metrics.llmCost.inc({ model, prompt_version: version }, 0.01);
    metrics.llmUnpricedCalls.inc({ model });
    metrics.llmCircuitState.set({ model }, 0);
    metrics.llmLatency.observe({ labels: { model }, value: 0.8, exemplarLabels: { trace_id: traceId(n++) } });
  }
  for (const [route, method, statusCodes] of routes) {
    for (const statusCode of statusCodes) {
      metrics.httpDuration.observe({
        labels: { route, method, status_code: statusCode },
        value: 0.02,
        exemplarLabels: { trace_id: traceId(n++) },
      });
    }
  }
  for (const agent of ['orchestrator', 'retriever', 'reasoner']) {
    for (const status of ['success', 'error']) {
      metrics.agentDuration.observe({ labels: { agent, status }, value: 0.1, exemplarLabels: { trace_id: traceId(n++) } });
    }
  }
  for (const queryType of queryTypes) {
    metrics.queryCost.observe({ labels: { query_type: queryType }, value: 0.001, exemplarLabels: { trace_id: traceId(n++) } });
  }
  for (const status of ['success', 'error']) metrics.queryRequests.inc({ status });
  metrics.retrievalDocuments.observe(5);
  metrics.retrievalRelevance.observe(0.7);
}
populate(telemetry.metrics);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('metrics host has no TCP address');
announce({ url: `http://127.0.0.1:${address.port}` });
// The orchestrator holds stdin open; when it goes away, so does this host.
process.stdin.on('end', () => void app.close().finally(() => process.exit(0)));
process.stdin.resume();
