import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseVariants } from '../prompts/variants.js';
import { apiKeyList, isOrigin, trustProxySetting } from './access.js';
import { costControlProblems, costControlsConfig, costControlsEnv } from './cost.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const optionalUrl = optionalString.pipe(z.url().optional());

const csv = optionalString.transform((value) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/**
 * Splits REDACT_PATTERNS on the commas between patterns only: a comma inside a quantifier (`\d{3,5}`),
 * a class or a group, or escaped (`\,`), belongs to its pattern.
 */
export function splitPatterns(value: string): string[] {
  const patterns: string[] = [];
  let current = '';
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i] as string;
    if (char === '\\') {
      current += char + (value[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(' || char === '{') depth += 1;
    else if ((char === ')' || char === '}') && depth > 0) depth -= 1;
    else if (char === ',' && depth === 0) {
      patterns.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  patterns.push(current);
  return patterns.map((pattern) => pattern.trim()).filter(Boolean);
}

const patternList = optionalString.transform((value) => splitPatterns(value ?? ''));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** Every environment variable the service reads, with its default. The README's table mirrors this. */
export const envSchema = z.object({
  PORT: int(8000, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  APP_ENV: z.string().default('development'),
  NODE_ENV: optionalString,

  LLM_PROVIDER: z.enum(['auto', 'gemini', 'offline']).default('auto'),

  GEMINI_API_KEY: optionalString,
  GOOGLE_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalUrl,
  LLM_TIMEOUT_MS: int(15_000, 100, 600_000),
  LLM_DEADLINE_MS: int(20_000, 100, 3_600_000),
  LLM_MAX_RETRIES: int(2, 0, 10),
  LLM_RETRY_BASE_MS: int(500, 1, 60_000),
  LLM_RETRY_MAX_DELAY_MS: int(10_000, 1, 120_000),
  LLM_CIRCUIT_FAILURES: int(5, 1, 1000),
  LLM_CIRCUIT_RESET_MS: int(30_000, 100, 3_600_000),
  MODEL_SIMPLE: z.string().default('gemini-2.5-flash-lite'),
  MODEL_MEDIUM: z.string().default('gemini-2.5-flash'),
  MODEL_COMPLEX: z.string().default('gemini-2.5-pro'),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
  LLM_MAX_OUTPUT_TOKENS: int(1024, 1, 65_536),
  // `v2` as in the reference chapter, or `2`.
  PROMPT_VERSION: optionalString
    .transform((value) => (value === undefined ? undefined : /^v?\d+$/i.test(value) ? Number(value.replace(/^v/i, '')) : Number.NaN))
    .pipe(z.number().int().min(1).max(1_000_000).optional()),
  PROMPT_LABEL: z.string().regex(/^[a-z0-9_.-]+$/, 'lower-case letters, digits, "_", "." or "-"').default('production'),
  PROMPT_VARIANTS: optionalString,
  PROMPT_CACHE_TTL_SECONDS: int(60, 1, 86_400),
  CORPUS_PATH: optionalString,

  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().default('researcherai'),
  LANGFUSE_PUBLIC_KEY: optionalString,
  LANGFUSE_SECRET_KEY: optionalString,
  LANGFUSE_BASE_URL: optionalUrl,
  LANGSMITH_TRACING: flag,
  LANGSMITH_API_KEY: optionalString,
  LANGSMITH_ENDPOINT: optionalUrl,
  LANGSMITH_PROJECT: z.string().default('ResearcherAI'),
  LOKI_URL: optionalUrl,
  TELEMETRY_EXPORT_TIMEOUT_MS: int(5000, 100, 60_000),
  TELEMETRY_QUEUE_SIZE: int(2048, 16, 100_000),
  TELEMETRY_QUEUE_MB: int(4, 1, 1024),
  SHUTDOWN_TIMEOUT_MS: int(25_000, 100, 120_000),
  CAPTURE_CONTENT: flag,

  API_KEYS: csv.pipe(apiKeyList),
  DOCS_PUBLIC: flag,
  METRICS_PORT: int(0, 0, 65535),
  METRICS_TOKEN: optionalString,
  RATE_LIMIT_PER_MINUTE: int(120, 0, 1_000_000),
  RATE_LIMIT_PER_USER_PER_MINUTE: int(0, 0, 1_000_000),
  AUTH_FAILURES_PER_MINUTE: int(10, 1, 1_000_000),
  TRUST_PROXY: trustProxySetting,
  TRUST_TRACEPARENT: flag,
  CORS_ORIGINS: csv.pipe(z.array(z.string().refine(isOrigin, 'an origin: http(s)://host[:port], no path or trailing slash'))),
  MAX_CONNECTIONS: int(1024, 1, 1_000_000),
  HEADERS_TIMEOUT_MS: int(10_000, 1000, 120_000),
  REQUEST_TIMEOUT_MS: int(15_000, 1000, 600_000),
  FEEDBACK_SECRET: optionalString,
  FEEDBACK_TOKEN_TTL_SECONDS: int(7 * 24 * 3600, 60, 365 * 24 * 3600),
  BODY_LIMIT_BYTES: int(64 * 1024, 1024, 10 * 1024 * 1024),
  STREAM_HEARTBEAT_MS: int(15_000, 10, 300_000),
  UI_JAEGER_URL: optionalUrl,
  UI_LANGFUSE_URL: optionalUrl,
  UI_GRAFANA_URL: optionalUrl,
  REDACT_PATTERNS: patternList.pipe(
    z.array(
      z.string().refine((pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression'),
    ),
  ),
  ...costControlsEnv,
});

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment once at start-up. Derived settings (which LLM provider, which sinks are on)
 * are computed here so that no other module needs to look at raw variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const raw = parsed.data;
  const geminiApiKey = raw.GEMINI_API_KEY ?? raw.GOOGLE_API_KEY;
  const otlpTracesUrl =
    raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (raw.OTEL_EXPORTER_OTLP_ENDPOINT ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined);
  let variants = [{ label: raw.PROMPT_LABEL, weight: 100 }];
  if (raw.PROMPT_VARIANTS) {
    try {
      variants = parseVariants(raw.PROMPT_VARIANTS);
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  PROMPT_VARIANTS: ${(error as Error).message}`);
    }
    if (raw.PROMPT_VERSION !== undefined) {
      throw new ConfigError('Invalid configuration:\n  PROMPT_VERSION/PROMPT_VARIANTS: a pinned version cannot be split; set one of them');
    }
  }
  const langfuseOn = Boolean(raw.LANGFUSE_PUBLIC_KEY && raw.LANGFUSE_SECRET_KEY);
  const langsmithApi = raw.LANGSMITH_API_KEY
    ? { apiKey: raw.LANGSMITH_API_KEY, endpoint: raw.LANGSMITH_ENDPOINT ?? 'https://api.smith.langchain.com', project: raw.LANGSMITH_PROJECT }
    : undefined;
  // Rules that span several variables, all reported at once like the schema's own.
  const problems: string[] = [];
  if (raw.LANGSMITH_TRACING && !raw.LANGSMITH_API_KEY) problems.push('LANGSMITH_API_KEY: required when LANGSMITH_TRACING=true');
  if (Boolean(raw.LANGFUSE_PUBLIC_KEY) !== Boolean(raw.LANGFUSE_SECRET_KEY)) {
    problems.push('LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY: set both or neither');
  }
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (raw.HEADERS_TIMEOUT_MS > raw.REQUEST_TIMEOUT_MS) problems.push('HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS');
  if (raw.LLM_PROVIDER === 'gemini' && !geminiApiKey) {
    problems.push('GEMINI_API_KEY: required when LLM_PROVIDER=gemini (GOOGLE_API_KEY is read too)');
  }
  problems.push(...costControlProblems(raw));
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  const provider = raw.LLM_PROVIDER === 'auto' ? (geminiApiKey ? 'gemini' : 'offline') : raw.LLM_PROVIDER;
  return {
    port: raw.PORT,
    host: raw.HOST,
    logLevel: raw.LOG_LEVEL,
    environment: raw.APP_ENV,
    serviceName: raw.OTEL_SERVICE_NAME,
    llm: {
      provider,
      /** auto fell back to the offline model in production: every answer is extractive, so start-up warns. */
      offlineInProduction: raw.LLM_PROVIDER === 'auto' && provider === 'offline' && raw.NODE_ENV === 'production',
      geminiApiKey,
      geminiBaseUrl: raw.GEMINI_BASE_URL,
      timeoutMs: raw.LLM_TIMEOUT_MS,
      /** Every attempt and backoff of one call; below SHUTDOWN_TIMEOUT_MS so a call in flight at SIGTERM can end. */
      deadlineMs: raw.LLM_DEADLINE_MS,
      maxRetries: raw.LLM_MAX_RETRIES,
      retryBaseMs: raw.LLM_RETRY_BASE_MS,
      retryMaxDelayMs: raw.LLM_RETRY_MAX_DELAY_MS,
      circuitFailures: raw.LLM_CIRCUIT_FAILURES,
      circuitResetMs: raw.LLM_CIRCUIT_RESET_MS,
      models: { simple: raw.MODEL_SIMPLE, medium: raw.MODEL_MEDIUM, complex: raw.MODEL_COMPLEX },
      temperature: raw.LLM_TEMPERATURE,
      maxOutputTokens: raw.LLM_MAX_OUTPUT_TOKENS,
    },
    prompts: {
      /** Pins one version for every request; when set, labels and variants are not used. */
      version: raw.PROMPT_VERSION,
      variants,
      cacheTtlSeconds: raw.PROMPT_CACHE_TTL_SECONDS,
    },
    corpusPath: raw.CORPUS_PATH,
    telemetry: {
      exportTimeoutMs: raw.TELEMETRY_EXPORT_TIMEOUT_MS,
      queueSize: raw.TELEMETRY_QUEUE_SIZE,
      /** Each export queue's bound in size (bytes of the UTF-8 JSON it holds), besides its count. */
      queueBytes: raw.TELEMETRY_QUEUE_MB * 1024 * 1024,
      captureContent: raw.CAPTURE_CONTENT,
      redactPatterns: raw.REDACT_PATTERNS.map((pattern) => new RegExp(pattern, 'g')),
      otlp: otlpTracesUrl ? { url: otlpTracesUrl } : undefined,
      langfuse: langfuseOn
        ? {
            publicKey: raw.LANGFUSE_PUBLIC_KEY as string,
            secretKey: raw.LANGFUSE_SECRET_KEY as string,
            baseUrl: raw.LANGFUSE_BASE_URL ?? 'https://cloud.langfuse.com',
          }
        : undefined,
      langsmith: raw.LANGSMITH_TRACING ? langsmithApi : undefined,
      loki: raw.LOKI_URL ? { url: raw.LOKI_URL } : undefined,
    },
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    costControls: costControlsConfig(raw),
    streamHeartbeatMs: raw.STREAM_HEARTBEAT_MS,
    /** Base URLs the research page links each answer's trace to; a link is hidden when its URL is unset. */
    ui: { jaegerUrl: raw.UI_JAEGER_URL, langfuseUrl: raw.UI_LANGFUSE_URL, grafanaUrl: raw.UI_GRAFANA_URL },
    /** `npm run eval` uploads to LangSmith whenever a key is set, with or without LANGSMITH_TRACING. */
    evaluation: { langsmith: langsmithApi },
    security: {
      apiKeys: raw.API_KEYS,
      // Behind API keys the API's shape is not for everyone: the docs are served only when asked for.
      docsPublic: raw.API_KEYS.length === 0 || raw.DOCS_PUBLIC,
      metricsPort: raw.METRICS_PORT,
      metricsToken: raw.METRICS_TOKEN,
      rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE,
      rateLimitPerUserPerMinute: raw.RATE_LIMIT_PER_USER_PER_MINUTE,
      authFailuresPerMinute: raw.AUTH_FAILURES_PER_MINUTE,
      trustProxy: raw.TRUST_PROXY,
      trustTraceparent: raw.TRUST_TRACEPARENT,
      corsOrigins: raw.CORS_ORIGINS,
      feedbackTokenTtlSeconds: raw.FEEDBACK_TOKEN_TTL_SECONDS,
      // A per-process secret still binds tokens to this instance; set FEEDBACK_SECRET to share across replicas.
      feedbackSecret: raw.FEEDBACK_SECRET ?? randomBytes(32).toString('hex'),
      bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    },
    http: {
      maxConnections: raw.MAX_CONNECTIONS,
      headersTimeoutMs: raw.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: raw.REQUEST_TIMEOUT_MS,
    },
  };
}
