import type { Orchestrator, ResearchQuery } from '../agents/orchestrator.js';
import type { AnswerOwner } from '../security/feedback-token.js';
import type { Telemetry } from '../telemetry/types.js';
import { answeredOutcome, toMetadata, toSource } from './answer-body.js';
import type { QueryResponse } from './schemas.js';

export interface AnswerDependencies {
  orchestrate: Orchestrator;
  telemetry: Pick<Telemetry, 'recordQuery'>;
  issueFeedbackToken: (owner: AnswerOwner, promptVersion: number) => string;
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
    const latencyMs = performance.now() - started;
    telemetry.recordQuery(answeredOutcome(answer, sessionKey, latencyMs));
    const feedbackToken = issueFeedbackToken({ traceId: answer.traceId, callerId, userId: query.userId }, answer.prompt.version);
    return { answer: answer.answer, sources: answer.sources.map(toSource), metadata: toMetadata(answer, latencyMs, feedbackToken) };
  } catch (error) {
    telemetry.recordQuery({ status: 'error', sessionKey, traceId: fallbackTraceId });
    throw error;
  }
}
