import { ConfigError, loadConfig, type Config } from './config/index.js';
import { startTelemetry } from './telemetry/index.js';

// Order matters: configuration fails fast, telemetry starts before the app's modules are imported, then
// the app, then signal handling that drains requests and flushes every sink.
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
const telemetry = startTelemetry(config);
const { buildApp } = await import('./server.js');
const { startMetricsServer } = await import('./metrics-server.js');

const { PromptNotFoundError } = await import('./prompts/store.js');
const { PromptFileError } = await import('./prompts/files.js');
let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp({ config, telemetry });
} catch (error) {
  // A prompt that exists nowhere, or a broken prompt file, is a configuration error: say which, exit 78.
  if (error instanceof PromptNotFoundError || error instanceof PromptFileError) {
    process.stderr.write(`${error.message}\n`);
    await telemetry.shutdown(1000);
    process.exit(78);
  }
  throw error;
}
const metricsServer = config.security.metricsPort
  ? await startMetricsServer(config, telemetry)
  : undefined;
const address = await app.listen({ port: config.port, host: config.host });
telemetry.logger.info({ event: 'started', address, llm_provider: config.llm.provider, sinks: telemetry.exportSinks }, 'ResearcherAI listening');
if (config.llm.offlineInProduction) {
  telemetry.logger.warn(
    { event: 'offline_in_production', llm_provider: 'offline' },
    'LLM_PROVIDER=auto found no GEMINI_API_KEY with NODE_ENV=production: answering with the offline model; set LLM_PROVIDER=gemini to fail instead',
  );
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  telemetry.logger.info({ event: 'shutdown', signal }, 'shutting down: draining requests');
  const hardStop = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000);
  hardStop.unref();
  try {
    await app.close();
    await metricsServer?.close();
  } catch (error) {
    telemetry.logger.error({ err: error }, 'error while closing the server');
  }
  telemetry.logger.info({ event: 'shutdown', drained_ms: Date.now() - started }, 'requests drained; flushing telemetry');
  await telemetry.shutdown(Math.max(1000, config.shutdownTimeoutMs - (Date.now() - started)));
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
