import type { ResearchAnswer } from '../agents/orchestrator.js';
import type { RankedPaper } from '../agents/retriever.js';
import type { QueryOutcome } from '../telemetry/types.js';
import type { QueryResponse } from './schemas.js';

/** A ranked paper as clients see it, in /api/query's `sources` and the stream's `sources` event. */
export const toSource = ({ paper, score }: RankedPaper): QueryResponse['sources'][number] => ({
  id: paper.id,
  title: paper.title,
  authors: paper.authors,
  year: paper.year,
  url: paper.url,
  score,
});

/** The answer's metadata, shared by /api/query and the stream's `done` event so they cannot disagree. */
export function toMetadata(answer: ResearchAnswer, latencyMs: number, feedbackToken: string): QueryResponse['metadata'] {
  return {
    trace_id: answer.traceId,
    feedback_token: feedbackToken,
    model: answer.model,
    prompt: answer.prompt,
    query_type: answer.queryType,
    complexity: answer.complexity,
    tokens: answer.llm.usage,
    cost_usd: answer.llm.cost.costUsd,
    cache: answer.llm.cache.hit
      ? { hit: true, age_s: answer.llm.cache.ageSeconds, saved_usd: answer.llm.cache.savedUsd }
      : { hit: false },
    latency_ms: Math.round(latencyMs * 100) / 100,
    retrieved_docs: answer.retrievedDocs,
    avg_relevance: answer.averageRelevance,
    agents: answer.agents.map(({ name, latencyMs: agentLatency }) => ({ name, latency_ms: agentLatency })),
  };
}

/** The query-level signals of a finished answer, `latencyMs` after the request arrived. */
export const answeredOutcome = (answer: ResearchAnswer, sessionKey: string | undefined, latencyMs: number): QueryOutcome => ({
  status: 'success',
  queryType: answer.queryType,
  costUsd: answer.llm.cost.costUsd,
  retrievedDocs: answer.retrievedDocs,
  averageRelevance: answer.averageRelevance,
  sessionKey,
  traceId: answer.traceId,
  promptVersion: answer.prompt.version,
  durationSeconds: latencyMs / 1000,
});
