import type { Orchestrator, ResearchAnswer, ResearchQuery } from '../agents/orchestrator.js';
import type { AnswerOwner } from '../security/feedback-token.js';
import type { Telemetry } from '../telemetry/types.js';
import type { QueryResponse } from './schemas.js';

export interface AnswerDependencies {
  orchestrate: Orchestrator;
  telemetry: Pick<Telemetry, 'recordQuery'>;
  issueFeedbackToken: (owner: AnswerOwner) => string;
}

/** Where one query runs: inside `runIn`'s trace context, for `callerId`; `fallbackTraceId` names a failure. */
export interface AnswerScope {
  runIn: <T>(work: () => T) => T;
  callerId: string;
  fallbackTraceId: string;
}

/** Answers one research query and records it; shared by /api/query and each batch item. */
export async function answerQuery(
  { orchestrate, telemetry, issueFeedbackToken }: AnswerDependencies,
  query: ResearchQuery,
  { runIn, callerId, fallbackTraceId }: AnswerScope,
): Promise<QueryResponse> {
  const sessionKey = query.sessionId ?? query.userId;
  const started = performance.now();
  try {
    const answer = await runIn(() => orchestrate(query));
    telemetry.recordQuery({
      status: 'success',
      queryType: answer.queryType,
      costUsd: answer.llm.cost.costUsd,
      retrievedDocs: answer.retrievedDocs,
      averageRelevance: answer.averageRelevance,
      sessionKey,
      traceId: answer.traceId,
    });
    return toResponse(answer, performance.now() - started, issueFeedbackToken({ traceId: answer.traceId, callerId, userId: query.userId }));
  } catch (error) {
    telemetry.recordQuery({ status: 'error', sessionKey, traceId: fallbackTraceId });
    throw error;
  }
}

function toResponse(answer: ResearchAnswer, latencyMs: number, feedbackToken: string): QueryResponse {
  const { cache } = answer.llm;
  return {
    answer: answer.answer,
    sources: answer.sources.map(({ paper, score }) => ({
      id: paper.id,
      title: paper.title,
      authors: paper.authors,
      year: paper.year,
      url: paper.url,
      score,
    })),
    metadata: {
      trace_id: answer.traceId,
      feedback_token: feedbackToken,
      model: answer.model,
      prompt: answer.prompt,
      query_type: answer.queryType,
      complexity: answer.complexity,
      tokens: answer.llm.usage,
      cost_usd: answer.llm.cost.costUsd,
      cache: cache.hit ? { hit: true, age_s: cache.ageSeconds, saved_usd: cache.savedUsd } : { hit: false },
      latency_ms: Math.round(latencyMs * 100) / 100,
      retrieved_docs: answer.retrievedDocs,
      avg_relevance: answer.averageRelevance,
      agents: answer.agents.map(({ name, latencyMs: agentLatency }) => ({ name, latency_ms: agentLatency })),
    },
  };
}
