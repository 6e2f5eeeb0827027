import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('runs offline with no keys and every sink off', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8000);
    expect(config.llm.provider).toBe('offline');
    expect(config.telemetry).toMatchObject({ otlp: undefined, langfuse: undefined, langsmith: undefined, loki: undefined });
    expect(config.prompts).toEqual({ version: undefined, variants: [{ label: 'production', weight: 100 }], cacheTtlSeconds: 60 });
  });

  it('uses Gemini when GEMINI_API_KEY or GOOGLE_API_KEY is set', () => {
    expect(loadConfig({ GEMINI_API_KEY: 'k' }).llm).toMatchObject({ provider: 'gemini', geminiApiKey: 'k' });
    expect(loadConfig({ GOOGLE_API_KEY: 'g' }).llm).toMatchObject({ provider: 'gemini', geminiApiKey: 'g' });
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT but uses the traces endpoint verbatim', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }).telemetry.otlp?.url).toBe('http://jaeger:4318/v1/traces');
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:1/custom' }).telemetry.otlp?.url).toBe('http://x:1/custom');
  });

  it('fails fast with a message naming each bad variable', () => {
    let thrown: unknown;
    try {
      loadConfig({ PORT: 'eighty', GEMINI_BASE_URL: 'not a url', TELEMETRY_QUEUE_MB: '0' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(/PORT:/);
    expect((thrown as Error).message).toMatch(/GEMINI_BASE_URL:/);
    expect((thrown as Error).message).toMatch(/TELEMETRY_QUEUE_MB:/);
  });

  it('refuses half-configured sinks instead of silently dropping them', () => {
    expect(() => loadConfig({ LANGFUSE_PUBLIC_KEY: 'pk' })).toThrow(/LANGFUSE_SECRET_KEY/);
    expect(() => loadConfig({ LANGSMITH_TRACING: 'true' })).toThrow(/LANGSMITH_API_KEY/);
  });

  it('reads API keys as a comma-separated list of name:key pairs or bare keys, naming bare keys by a hash', () => {
    expect(loadConfig({ API_KEYS: ' mobile:k1, batch-jobs:k:2 ,,sk-bare' }).security.apiKeys).toEqual([
      { key: 'k1', id: 'key:mobile', name: 'mobile' },
      { key: 'k:2', id: 'key:batch-jobs', name: 'batch-jobs' },
      // the first 12 hex digits of sha256("sk-bare"): an id that names the key without revealing it.
      { key: 'sk-bare', id: 'key:99690b1b4700', name: '99690b1b4700' },
    ]);
    expect(() => loadConfig({ API_KEYS: 'web:k1,web:k2' })).toThrow(/API_KEYS: duplicate key names: key:web/);
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses and ranges, and refuses trusting every hop', () => {
    expect(loadConfig({}).security.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).security.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1, loopback' }).security.trustProxy).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: .*not: true/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('keeps the model deadline inside the shutdown budget by default, and refuses CORS origins with a path', () => {
    const config = loadConfig({});
    expect(config.llm.timeoutMs).toBeLessThanOrEqual(config.llm.deadlineMs);
    expect(config.llm.deadlineMs).toBeLessThan(config.shutdownTimeoutMs);
    expect(config.security).toMatchObject({ trustTraceparent: false, corsOrigins: [], feedbackTokenTtlSeconds: 604_800, rateLimitPerUserPerMinute: 0 });
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).security.corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/page' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '15000' })).toThrow(/HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS/);
  });

  describe('LLM_PROVIDER', () => {
    it('auto (the default) uses Gemini with a key and the offline model without one', () => {
      expect(loadConfig({}).llm).toMatchObject({ provider: 'offline', offlineInProduction: false });
      expect(loadConfig({ LLM_PROVIDER: 'auto', GEMINI_API_KEY: 'k' }).llm.provider).toBe('gemini');
    });

    it('gemini without a key fails, naming GEMINI_API_KEY', () => {
      expect(() => loadConfig({ LLM_PROVIDER: 'gemini' })).toThrow(/GEMINI_API_KEY: required when LLM_PROVIDER=gemini/);
      expect(loadConfig({ LLM_PROVIDER: 'gemini', GOOGLE_API_KEY: 'g' }).llm).toMatchObject({ provider: 'gemini', geminiApiKey: 'g' });
    });

    it('offline stays offline even with a key', () => {
      expect(loadConfig({ LLM_PROVIDER: 'offline', GEMINI_API_KEY: 'k' }).llm.provider).toBe('offline');
    });

    it('flags auto falling back to offline only when NODE_ENV=production', () => {
      expect(loadConfig({ NODE_ENV: 'production' }).llm.offlineInProduction).toBe(true);
      expect(loadConfig({ NODE_ENV: 'production', LLM_PROVIDER: 'offline' }).llm.offlineInProduction).toBe(false);
      expect(loadConfig({ NODE_ENV: 'production', GEMINI_API_KEY: 'k' }).llm.offlineInProduction).toBe(false);
      expect(loadConfig({ NODE_ENV: 'development' }).llm.offlineInProduction).toBe(false);
    });

    it('refuses an unknown provider and reports it with the other cross-variable problems', () => {
      expect(() => loadConfig({ LLM_PROVIDER: 'openai' })).toThrow(/LLM_PROVIDER:/);
      expect(() => loadConfig({ LLM_PROVIDER: 'gemini', LANGSMITH_TRACING: 'true' })).toThrow(/LANGSMITH_API_KEY: .*\n\s+GEMINI_API_KEY: /s);
    });
  });
});
