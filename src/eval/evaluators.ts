import type { Reference } from './dataset.js';

export const evaluatorKeys = ['topic_coverage', 'retrieval_hit'] as const;
export type EvaluatorKey = (typeof evaluatorKeys)[number];

/** Same shape as LangSmith's EvaluationResult, so the local and uploaded runs report identical feedback. */
export interface Score {
  key: EvaluatorKey;
  score: number;
  comment: string;
}

/** What the research target returns for one query; the evaluators read only the answer and the sources. */
export interface AnswerOutputs {
  answer: string;
  /** Ids of the returned papers, best first. */
  source_ids: string[];
}

/** Share of expected topics that appear in the answer, matched case-insensitively as substrings. */
export function topicCoverage(answer: string, expectedTopics: string[]): Score {
  const text = answer.toLowerCase();
  const covered = expectedTopics.filter((topic) => text.includes(topic.toLowerCase())).length;
  return { key: 'topic_coverage', score: covered / expectedTopics.length, comment: `Covered ${covered}/${expectedTopics.length}` };
}

/** Share of the expected paper ids found among the first `k` sources (1 = every expected paper retrieved). */
export function retrievalHit(sourceIds: string[], expectedIds: string[], k: number): Score {
  const top = new Set(sourceIds.slice(0, k));
  const found = expectedIds.filter((id) => top.has(id)).length;
  return { key: 'retrieval_hit', score: found / expectedIds.length, comment: `Found ${found}/${expectedIds.length} in top ${k}` };
}

/** Both evaluators on one answer; a failed query (no outputs) scores 0 on each. */
export function scoreAnswer(outputs: Partial<AnswerOutputs> | undefined, reference: Reference, k: number): Record<EvaluatorKey, Score> {
  return {
    topic_coverage: topicCoverage(outputs?.answer ?? '', reference.expected_topics),
    retrieval_hit: retrievalHit(outputs?.source_ids ?? [], reference.expected_paper_ids, k),
  };
}
