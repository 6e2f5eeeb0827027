import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyOtel from '@fastify/otel';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
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
import { createCostControls } from './llm/cost-controls-factory.js';
import { createGeminiProvider } from './llm/providers/gemini.js';
import { createOfflineProvider } from './llm/providers/offline.js';
import type { LlmProvider } from './llm/types.js';
import { registerErrorHandling } from './routes/errors.js';
import { createFeedbackTokens } from './routes/feedback-token.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';
import { batchRoutes } from './routes/batch.js';
import { registerHttpMetrics } from './routes/http-metrics.js';
import { registerAuth } from './routes/auth.js';
import { registerConnectionDraining } from './routes/drain.js';
import { registerStrictJsonParser } from './routes/json-body.js';
import { countingRateLimitErrors, openSharedState } from './state/shared-state.js';
import { redisAnswers } from './state/redis.js';
import { costControlEvents } from './telemetry/cost-events.js';
import type { Telemetry } from './telemetry/index.js';

export interface AppDependencies {
  config: Config;
  telemetry: Telemetry;
  corpus?: Paper[];
  provider?: LlmProvider;
}

const breakerStateValue = { closed: 0, half_open: 1, open: 2 } as const;

function createProvider(config: Config): LlmProvider {
  return config.llm.provider === 'gemini'
    ? createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl })
    : createOfflineProvider();
}

/** The app factory: wires agents, routes and telemetry. Tests call it and use `inject`. */
export async function buildApp({ config, telemetry, corpus, provider }: AppDependencies): Promise<FastifyInstance> {
  const promptRef = { name: defaultPromptName, version: config.promptVersion };
  getPrompt(promptRef);
  const papers = corpus ?? loadCorpus(config.corpusPath);
  const app = Fastify({
    loggerInstance: telemetry.logger as FastifyBaseLogger,
    // One line per request comes from the http-metrics hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.security.bodyLimitBytes,
    requestTimeout: 120_000,
    connectionTimeout: 130_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  const redis = await openSharedState(app, config);
  const costControls = createCostControls(config, redis, costControlEvents(telemetry.metrics, telemetry.logger));
  if (config.costControls.budget.limits.serviceUsdPerDay) {
    telemetry.metrics.budgetLimit.set({ scope: 'service' }, config.costControls.budget.limits.serviceUsdPerDay);
    telemetry.metrics.budgetSpent.set({ scope: 'service' }, 0);
  }
  const llm = createLlmClient({
    costControls,
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
  const feedbackTokens = createFeedbackTokens(config.security.feedbackSecret);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerStrictJsonParser(app);
  registerConnectionDraining(app);

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
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(rateLimit, {
    global: true,
    // After body parsing, so that the limit can follow the user id rather than only the client address.
    hook: 'preHandler',
    max: config.security.rateLimitPerMinute || 1_000_000_000,
    timeWindow: '1 minute',
    // Shared by every replica; when Redis fails the request goes through and the failure is counted.
    ...(redis
      ? {
          redis: countingRateLimitErrors(redis, () => telemetry.metrics.sharedStateErrors.inc({ component: 'rate_limit' })),
          skipOnError: true,
          nameSpace: 'ratelimit:',
        }
      : {}),
    keyGenerator: (request) => {
      const body = request.body as { user_id?: unknown } | undefined;
      return typeof body?.user_id === 'string' ? `user:${body.user_id}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'ResearcherAI', version: '0.1.0', description: 'Instrumented multi-agent research API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  registerAuth(app, config.security.apiKeys);

  // Budgets that fail closed cannot answer without Redis, so only then does Redis decide readiness.
  const redisDecidesReadiness = Boolean(redis && costControls.budget?.enabled && !config.costControls.budget.failOpen);
  await app.register(healthRoutes, {
    isReady: async () => {
      const checks = { config: true, corpus: papers.length > 0, ...(redis ? { redis: await redisAnswers(redis) } : {}) };
      return { ready: checks.corpus && (!redisDecidesReadiness || checks.redis === true), checks };
    },
  });
  if (!config.security.metricsPort) {
    await app.register(metricsRoute, { metrics: telemetry.metrics, token: config.security.metricsToken });
  }
  await app.register(queryRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue });
  await app.register(batchRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue, ...config.costControls.batch });
  await app.register(feedbackRoutes, { telemetry, verifyFeedbackToken: feedbackTokens.verify });
  return app;
}
