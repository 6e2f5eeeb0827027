import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyOtel from '@fastify/otel';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from './config/index.js';
import { loadCorpus, type Paper } from './agents/corpus.js';
import { createOrchestrator } from './agents/orchestrator.js';
import { defaultPromptName, getPrompt } from './agents/prompts.js';
import { createReasoner } from './agents/reasoner.js';
import { createRetriever } from './agents/retriever.js';
import { createLlmClient } from './llm/client.js';
import { createGeminiProvider } from './llm/providers/gemini.js';
import { createOfflineProvider } from './llm/providers/offline.js';
import type { LlmProvider } from './llm/types.js';
import { registerErrorHandling } from './routes/errors.js';
import { createFeedbackTokens } from './routes/feedback-token.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';
import { registerHttpMetrics } from './routes/http-metrics.js';
import { registerAuth } from './routes/auth.js';
import { registerConnectionDraining } from './routes/drain.js';
import { registerStrictJsonParser } from './routes/json-body.js';
import type { Telemetry } from './telemetry/index.js';
import { createMemoryVoteStore, type VoteStore } from './feedback/votes.js';
import { httpServerOptions } from './http-server.js';
import callerPlugin from './plugins/app/caller.js';
import traceContextPlugin from './plugins/app/trace-context.js';
import corsPlugin from './plugins/external/cors.js';
import helmetPlugin, { swaggerUiPolicy } from './plugins/external/helmet.js';
import rateLimitPlugin from './plugins/external/rate-limit.js';

export interface AppDependencies {
  config: Config;
  telemetry: Telemetry;
  corpus?: Paper[];
  provider?: LlmProvider;
  /** Where repeated votes are recognised; in-process by default. */
  votes?: VoteStore;
}

const maxRememberedVotes = 100_000;

const breakerStateValue = { closed: 0, half_open: 1, open: 2 } as const;

function createProvider(config: Config): LlmProvider {
  return config.llm.provider === 'gemini'
    ? createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl })
    : createOfflineProvider();
}

/** The app factory: wires agents, routes and telemetry. Tests call it and use `inject`. */
export async function buildApp({ config, telemetry, corpus, provider, votes }: AppDependencies): Promise<FastifyInstance> {
  const promptRef = { name: defaultPromptName, version: config.promptVersion };
  getPrompt(promptRef);
  const papers = corpus ?? loadCorpus(config.corpusPath);
  const stopModelCalls = new AbortController();
  const llm = createLlmClient({
    stopSignal: stopModelCalls.signal,
    provider: provider ?? createProvider(config),
    providerName: config.llm.provider,
    telemetry: telemetry.llmCalls,
    settings: config.llm,
    onBreakerState: (model, state) => telemetry.metrics.llmCircuitState.set({ model }, breakerStateValue[state]),
  });
  const orchestrate = createOrchestrator({
    retriever: createRetriever(papers),
    reasoner: createReasoner(llm, telemetry.runAgent, { temperature: config.llm.temperature, maxOutputTokens: config.llm.maxOutputTokens }),
    runAgent: telemetry.runAgent,
    models: config.llm.models,
    prompt: promptRef,
  });
  const feedbackTokens = createFeedbackTokens(config.security.feedbackSecret, config.security.feedbackTokenTtlSeconds);

  const app = Fastify({
    ...httpServerOptions(config),
    loggerInstance: telemetry.logger as FastifyBaseLogger,
    // One line per request comes from the http-metrics hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = config.http.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerStrictJsonParser(app);
  // Past the grace period, what is left of the shutdown budget goes to flushing the sinks.
  const flushReserveMs = Math.min(5000, config.shutdownTimeoutMs / 4);
  registerConnectionDraining(app, { graceMs: config.shutdownTimeoutMs - flushReserveMs, stopModelCalls: () => stopModelCalls.abort() });
  await app.register(traceContextPlugin, { trustIncoming: config.security.trustTraceparent });

  const otel = new fastifyOtel.FastifyOtelInstrumentation({
    instrumentHooks: false,
    instrumentHandler: false,
    requestHook: (span, request) => {
      span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
      // @fastify/otel records the raw URL as url.path; its query string may carry a key or a token.
      span.setAttribute('url.path', request.url.split('?')[0] as string);
    },
  });
  await app.register(otel.plugin());
  registerHttpMetrics(app, telemetry.metrics);
  registerErrorHandling(app);
  await app.register(helmetPlugin);
  await app.register(corsPlugin, { origins: config.security.corsOrigins });
  await app.register(callerPlugin, { apiKeys: config.security.apiKeys });
  await app.register(rateLimitPlugin, {
    perMinute: config.security.rateLimitPerMinute,
    perUserPerMinute: config.security.rateLimitPerUserPerMinute,
    authFailuresPerMinute: config.security.authFailuresPerMinute,
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ResearcherAI', version: '0.1.0', description: 'Instrumented multi-agent research API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: swaggerUiPolicy });
  registerAuth(app, config.security.apiKeys.length > 0);

  await app.register(healthRoutes, { isReady: () => ({ ready: papers.length > 0, checks: { config: true, corpus: papers.length > 0 } }) });
  if (!config.security.metricsPort) {
    await app.register(metricsRoute, { metrics: telemetry.metrics, token: config.security.metricsToken });
  }
  await app.register(queryRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue });
  const voteStore = votes ?? createMemoryVoteStore({ max: maxRememberedVotes, ttlMs: config.security.feedbackTokenTtlSeconds * 1000 });
  await app.register(feedbackRoutes, { telemetry, tokens: feedbackTokens, votes: voteStore });
  return app;
}
