import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config/index.js';
import { loadCorpus, type Paper } from './agents/corpus.js';
import { createOrchestrator } from './agents/orchestrator.js';
import { createReasoner } from './agents/reasoner.js';
import { createRetriever } from './agents/retriever.js';
import { createLlmClient } from './llm/client.js';
import { createCostControls } from './llm/cost-controls-factory.js';
import { createGeminiProvider } from './llm/providers/gemini.js';
import { createOfflineProvider } from './llm/providers/offline.js';
import { createMemoryVoteStore, type VoteStore } from './feedback/votes.js';
import { httpServerOptions } from './http-server.js';
import type { LlmProvider } from './llm/types.js';
import auth from './plugins/app/auth.js';
import caller from './plugins/app/caller.js';
import drain from './plugins/app/drain.js';
import errors from './plugins/app/errors.js';
import httpMetrics from './plugins/app/http-metrics.js';
import jsonBody from './plugins/app/json-body.js';
import traceContext from './plugins/app/trace-context.js';
import cors from './plugins/external/cors.js';
import helmet from './plugins/external/helmet.js';
import otel from './plugins/external/otel.js';
import rateLimit from './plugins/external/rate-limit.js';
import staticPage from './plugins/external/static.js';
import swagger from './plugins/external/swagger.js';
import type { PromptFile } from './prompts/files.js';
import { createPromptChooser, createResearchPromptStore } from './prompts/index.js';
import { feedbackRoutes } from './routes/feedback.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';
import { batchRoutes } from './routes/batch.js';
import { queryStreamRoutes } from './routes/query-stream.js';
import { uiConfigRoute } from './routes/ui-config.js';
import { createFeedbackTokens } from './security/feedback-token.js';
import { redisAnswers } from './state/redis.js';
import { createRedisVoteStore } from './state/redis-votes.js';
import { countingRateLimitErrors, openSharedState } from './state/shared-state.js';
import { withAgentProvider } from './telemetry/fanout.js';
import type { Telemetry } from './telemetry/types.js';

export interface AppDependencies {
  config: Config;
  telemetry: Telemetry;
  corpus?: Paper[];
  provider?: LlmProvider;
  /** The research prompt's file; prompts/research-answer.yaml by default. */
  promptFile?: PromptFile;
  /** Where repeated votes are recognised; in-process by default. */
  votes?: VoteStore;
  /** The built research page; dist/web by default. */
  webRoot?: string;
}

const maxRememberedVotes = 100_000;

function createProvider(config: Config): LlmProvider {
  return config.llm.provider === 'gemini'
    ? createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl })
    : createOfflineProvider();
}

/** The app factory: wires agents, plugins, routes and telemetry. Tests call it and use `inject`. */
export async function buildApp({ config, telemetry, corpus, provider, promptFile, votes, webRoot }: AppDependencies): Promise<FastifyInstance> {
  const prompts = createResearchPromptStore(
    config,
    {
      fallbackServed: (reason) => telemetry.recordPromptFallback(reason),
      warn: (fields, message) => telemetry.logger.warn(fields, message),
      loaded: ({ version }) => telemetry.recordPromptLoaded(version),
    },
    promptFile,
  );
  // Before the app exists: a version or label that exists nowhere stops start-up, and no request waits.
  await prompts.start();
  const papers = corpus ?? loadCorpus(config.corpusPath);
  const app = Fastify({
    ...httpServerOptions(config),
    loggerInstance: telemetry.logger as FastifyBaseLogger,
    // One line per request comes from the http-metrics plugin instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = config.http.maxConnections;
  app.addHook('onClose', async () => prompts.close());
  const redis = await openSharedState(app, config);
  const costControls = createCostControls(config, redis, telemetry);
  const serviceBudget = config.costControls.budget.limits.serviceUsdPerDay;
  if (serviceBudget) telemetry.recordBudgetLimit(serviceBudget);
  const stopModelCalls = new AbortController();
  const llmProvider = provider ?? createProvider(config);
  const runAgent = withAgentProvider(telemetry.runAgent, llmProvider.system);
  const llm = createLlmClient({
    provider: llmProvider,
    providerName: config.llm.provider,
    telemetry,
    settings: config.llm,
    stopSignal: stopModelCalls.signal,
    costControls,
  });
  const orchestrate = createOrchestrator({
    retriever: createRetriever(papers),
    reasoner: createReasoner(llm, runAgent, { temperature: config.llm.temperature, maxOutputTokens: config.llm.maxOutputTokens }),
    runAgent,
    models: config.llm.models,
    choosePrompt: createPromptChooser(prompts, config.prompts),
  });
  const feedbackTokens = createFeedbackTokens(config.security.feedbackSecret, config.security.feedbackTokenTtlSeconds);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Past the grace period, what is left of the shutdown budget goes to flushing the sinks.
  const flushReserveMs = Math.min(5000, config.shutdownTimeoutMs / 4);
  await app.register(jsonBody);
  await app.register(drain, { graceMs: config.shutdownTimeoutMs - flushReserveMs, stopModelCalls: () => stopModelCalls.abort() });
  // Before otel, whose hook would otherwise adopt the client's trace context.
  await app.register(traceContext, { trustIncoming: config.security.trustTraceparent });
  await app.register(otel);
  await app.register(httpMetrics, { telemetry });
  await app.register(errors);
  await app.register(helmet);
  await app.register(cors, { origins: config.security.corsOrigins });
  await app.register(caller, { apiKeys: config.security.apiKeys });
  await app.register(rateLimit, {
    perMinute: config.security.rateLimitPerMinute,
    perUserPerMinute: config.security.rateLimitPerUserPerMinute,
    authFailuresPerMinute: config.security.authFailuresPerMinute,
    redis: redis && countingRateLimitErrors(redis, (error) => telemetry.sharedStateError('rate_limit', 'incr', error)),
  });
  await app.register(swagger, { keysConfigured: config.security.apiKeys.length > 0, docsPublic: config.security.docsPublic });
  await app.register(auth, { keysConfigured: config.security.apiKeys.length > 0 });

  // Budgets that fail closed cannot answer without Redis, so only then does Redis decide readiness.
  const redisDecidesReadiness = Boolean(redis && costControls.budget?.enabled && !config.costControls.budget.failOpen);
  const readiness = async () => {
    const checks = {
      config: true,
      corpus: papers.length > 0,
      prompts: prompts.ready,
      ...(redis ? { redis: await redisAnswers(redis) } : {}),
    };
    return {
      ready: checks.corpus && checks.prompts && (!redisDecidesReadiness || checks.redis === true),
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
  await app.register(queryStreamRoutes, { orchestrate, telemetry, issueFeedbackToken: feedbackTokens.issue, heartbeatMs: config.streamHeartbeatMs });
  const voteTtlMs = config.security.feedbackTokenTtlSeconds * 1000;
  // Replicas sharing Redis share the votes too, so a repeated vote is recognised whichever replica gets it.
  const voteStore = votes ?? (redis ? createRedisVoteStore(redis, { ttlMs: voteTtlMs }) : createMemoryVoteStore({ max: maxRememberedVotes, ttlMs: voteTtlMs }));
  await app.register(feedbackRoutes, { telemetry, tokens: feedbackTokens, votes: voteStore });
  await app.register(uiConfigRoute, { config });
  await app.register(staticPage, { root: webRoot });
  return app;
}
