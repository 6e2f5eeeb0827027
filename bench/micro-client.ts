// Scenario (e), run as a child on the server core: the instrumented client (createLlmClient + Gemini
// provider + telemetry from the environment) against a bare @google/generative-ai call, same fake,
// same request. Blocks of each alternate so that drift and background exports hit both sides alike.
// Usage: node --import tsx bench/micro-client.ts <calls per side> <block size>
import { setTimeout as sleep } from 'node:timers/promises';
import { GoogleGenerativeAI } from '@google/generative-ai';
import { loadConfig } from '../src/config/index.js';
import { startTelemetry } from '../src/telemetry/index.js';
import { alternatingBlocks } from './blocks.js';
import { reportResult } from './child.js';
import { percentile, round } from './stats.js';
import { benchQuery } from './workload.js';

const calls = Number(process.argv[2] ?? 1000);
const block = Number(process.argv[3] ?? 25);

const config = loadConfig();
const telemetry = startTelemetry(config);
// As in main.ts: the app's modules load once telemetry is up.
const { createLlmClient } = await import('../src/llm/client.js');
const { createGeminiProvider } = await import('../src/llm/providers/gemini.js');
const { loadCorpus } = await import('../src/agents/corpus.js');
const { createRetriever } = await import('../src/agents/retriever.js');
const { createResearchPromptStore, promptSelectors } = await import('../src/prompts/index.js');
const { promptVariables } = await import('../src/agents/reasoner.js');

if (config.llm.provider !== 'gemini' || !config.llm.geminiBaseUrl) throw new Error('micro-client needs GEMINI_API_KEY and GEMINI_BASE_URL');
const prompts = createResearchPromptStore(config, { fallbackServed: () => undefined, warn: () => undefined });
await prompts.start();
prompts.close();
const served = prompts.get(promptSelectors(config.prompts)[0] as Parameters<typeof prompts.get>[0]);
const promptRef = { name: served.name, version: served.version };
const passages = createRetriever(loadCorpus(config.corpusPath))
  .retrieve(benchQuery, 5)
  .papers.map(({ paper }) => ({ id: paper.id, title: paper.title, year: paper.year, summary: paper.summary }));
const request = {
  model: config.llm.models.simple,
  ...served.render(promptVariables(benchQuery, passages)),
  promptRef,
  temperature: config.llm.temperature,
  maxOutputTokens: config.llm.maxOutputTokens,
  passages,
};

const llm = createLlmClient({
  provider: createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl }),
  providerName: 'gemini',
  telemetry,
  settings: config.llm,
});
const rawModel = new GoogleGenerativeAI(config.llm.geminiApiKey as string).getGenerativeModel(
  {
    model: request.model,
    systemInstruction: request.system,
    generationConfig: { temperature: request.temperature, maxOutputTokens: request.maxOutputTokens },
  },
  { baseUrl: config.llm.geminiBaseUrl },
);

const sides = {
  raw: async () => void (await rawModel.generateContent(request.prompt)).response.text(),
  instrumented: async () => void (await llm.generate(request)).text,
};
const { latencies, cpuMicros } = await alternatingBlocks(sides, calls, block);

const summary = (values: number[]) => ({
  p50Ms: round(percentile(values, 50), 4),
  p99Ms: round(percentile(values, 99), 4),
  meanMs: round(values.reduce((sum, value) => sum + value, 0) / values.length, 4),
});
const raw = summary(latencies.raw);
const instrumented = summary(latencies.instrumented);
reportResult({
  callsPerSide: latencies.raw.length,
  sinks: Boolean(config.telemetry.otlp),
  raw,
  instrumented,
  addedP50Ms: round(instrumented.p50Ms - raw.p50Ms, 3),
  addedP99Ms: round(instrumented.p99Ms - raw.p99Ms, 3),
  // Process CPU, so it includes the span/log/run work each call queues (export itself happens later, in batches).
  addedCpuUsPerCall: round((cpuMicros.instrumented - cpuMicros.raw) / latencies.raw.length, 3),
  rawCpuUsPerCall: round(cpuMicros.raw / latencies.raw.length, 3),
});
// A flush that waits only on unref'd handles would let the loop drain under this top-level await (exit 13).
await Promise.race([telemetry.shutdown(3000), sleep(3000)]);
process.exit(0);
