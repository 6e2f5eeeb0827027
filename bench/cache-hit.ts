// Scenario (h), run as a child on the server core: the LLM client with its response cache, a miss (a
// new question every call, so a model call on the Gemini fake) against a hit (the same question), in
// alternating blocks; through the in-process LRU, or through Redis when REDIS_URL is set.
// Usage: node --import tsx bench/cache-hit.ts <calls per side> <block size>
import { setTimeout as sleep } from 'node:timers/promises';
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
const { createLlmClient } = await import('../src/llm/client.js');
const { createCostControls } = await import('../src/llm/cost-controls-factory.js');
const { createGeminiProvider } = await import('../src/llm/providers/gemini.js');
const { connectRedis, createRedisClient } = await import('../src/state/redis.js');
const { createResearchPromptStore, promptSelectors } = await import('../src/prompts/index.js');
const { promptVariables } = await import('../src/agents/reasoner.js');

if (config.llm.provider !== 'gemini' || !config.llm.geminiBaseUrl) throw new Error('cache-hit needs GEMINI_API_KEY and GEMINI_BASE_URL');
const redis = config.costControls.redis ? createRedisClient(config.costControls.redis) : undefined;
if (redis && !(await connectRedis(redis, 5000))) throw new Error(`Redis at ${config.costControls.redis?.url} is not reachable`);
const prompts = createResearchPromptStore(config, { fallbackServed: () => undefined, warn: () => undefined });
await prompts.start();
prompts.close();
const served = prompts.get(promptSelectors(config.prompts)[0] as Parameters<typeof prompts.get>[0]);
const promptRef = { name: served.name, version: served.version };
const request = (question: string) => ({
  model: config.llm.models.medium,
  ...served.render(promptVariables(question, [])),
  promptRef,
  temperature: config.llm.temperature,
  maxOutputTokens: config.llm.maxOutputTokens,
  passages: [],
});
const llm = createLlmClient({
  provider: createGeminiProvider({ apiKey: config.llm.geminiApiKey as string, baseUrl: config.llm.geminiBaseUrl }),
  providerName: 'gemini',
  telemetry,
  settings: config.llm,
  costControls: createCostControls(config, redis, telemetry),
});

let fresh = 0;
const hitRequest = request(benchQuery);
const sides = {
  miss: async () => void (await llm.generate(request(`${benchQuery} (${(fresh += 1)})`))).text,
  hit: async () => void (await llm.generate(hitRequest)).text,
};
type Side = keyof typeof sides;
const { latencies, cpuMicros } = await alternatingBlocks(sides, calls, block);

const summary = (side: Side) => ({
  p50Ms: round(percentile(latencies[side], 50), 4),
  p99Ms: round(percentile(latencies[side], 99), 4),
  cpuUsPerCall: round(cpuMicros[side] / latencies[side].length, 3),
});
reportResult({ store: redis ? 'redis' : 'memory', callsPerSide: latencies.hit.length, miss: summary('miss'), hit: summary('hit') });
redis?.disconnect();
await Promise.race([telemetry.shutdown(3000), sleep(3000)]);
process.exit(0);
