import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
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
import auth from './plugins/app/auth.js';
import drain from './plugins/app/drain.js';
import errors from './plugins/app/errors.js';
import httpMetrics from './plugins/app/http-metrics.js';
import jsonBody from './plugins/app/json-body.js';
import helmet from './plugins/external/helmet.js';
import otel from './plugins/external/otel.js';
import rateLimit from './plugins/external/rate-limit.js';
import swagger from './plugins/external/swagger.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';
import { batchRoutes } from './routes/batch.js';
import { createFeedbackTokens } from './security/feedback-token.js';
import { redisAnswers } from './state/redis.js';
import { countingRateLimitErrors, openSharedState } from './state/shared-state.js';
import type { Telemetry } from './telemetry/types.js';

export interface AppDependencies {
  config: Config;
  telemetry: Telemetry;
  corpus?: Paper[];
  provider?: LlmProvider;
}

function createProvider(config: Config): LlmProvider {
  return config.llm.provider === 'gemini'
    ? createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl })
    : createOfflineProvider();
}

/** The app factory: wires agents, plugins, routes and telemetry. Tests call it and use `inject`. */
export async function buildApp({ config, telemetry, corpus, provider }: AppDependencies): Promise<FastifyInstance> {
  const promptRef = { name: defaultPromptName, version: config.promptVersion };
  getPrompt(promptRef);
  const papers = corpus ?? loadCorpus(config.corpusPath);
  const app = Fastify({
    loggerInstance: telemetry.logger as FastifyBaseLogger,
    // One line per request comes from the http-metrics plugin instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.security.bodyLimitBytes,
    requestTimeout: 120_000,
    connectionTimeout: 130_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  const redis = await openSharedState(app, config);
  const costControls = createCostControls(config, redis, telemetry);
  const serviceBudget = config.costControls.budget.limits.serviceUsdPerDay;
  if (serviceBudget) telemetry.recordBudgetLimit(serviceBudget);
  const llm = createLlmClient({
    provider: provider ?? createProvider(config),
    providerName: config.llm.provider,
    telemetry,
    settings: config.llm,
    costControls,
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

  await app.register(jsonBody);
  await app.register(drain);
  await app.register(otel);
  await app.register(httpMetrics, { telemetry });
  await app.register(errors);
  await app.register(helmet);
  await app.register(rateLimit, {
    perMinute: config.security.rateLimitPerMinute,
    redis: redis && countingRateLimitErrors(redis, (error) => telemetry.sharedStateError('rate_limit', 'incr', error)),
  });
  await app.register(swagger);
  await app.register(auth, { apiKeys: config.security.apiKeys });

  // Budgets that fail closed cannot answer without Redis, so only then does Redis decide readiness.
  const redisDecidesReadiness = Boolean(redis && costControls.budget?.enabled && !config.costControls.budget.failOpen);
  const readiness = async () => {
    const checks = { config: true, corpus: papers.length > 0, ...(redis ? { redis: await redisAnswers(redis) } : {}) };
    return {
      ready: checks.corpus && (!redisDecidesReadiness || checks.redis === true),
      checks,
      provider: config.llm.provider,
      sinks: telemetry.exportSinks,
    };
  };
  await app.register(healthRoutes, { readiness });
  if (!config.security.metricsPort) {
    await app.register(metricsRoute, { telemetry, token: config.security.metricsToken });
  }
  await app.register(queryRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue });
  await app.register(batchRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue, ...config.costControls.batch });
  await app.register(feedbackRoutes, { telemetry, verifyFeedbackToken: feedbackTokens.verify });
  return app;
}
