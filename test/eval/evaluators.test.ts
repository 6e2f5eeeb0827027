import { describe, expect, it } from 'vitest';
import { retrievalHit, scoreAnswer, topicCoverage } from '../../src/eval/evaluators.js';
import { summarize, type ExampleResult } from '../../src/eval/report.js';

describe('topic_coverage', () => {
  it('is the share of expected topics found in the answer, case-insensitively', () => {
    expect(topicCoverage('Dense RETRIEVAL with Embeddings', ['retrieval', 'embeddings', 'generation'])).toEqual({
      key: 'topic_coverage',
      score: 2 / 3,
      comment: 'Covered 2/3',
    });
  });
});

describe('retrieval_hit', () => {
  it('is the share of expected papers among the top k sources', () => {
    expect(retrievalHit(['a', 'b', 'c', 'd'], ['a', 'd'], 3)).toEqual({ key: 'retrieval_hit', score: 0.5, comment: 'Found 1/2 in top 3' });
    expect(retrievalHit(['a', 'b'], ['b', 'a'], 5).score).toBe(1);
  });
});

describe('scoreAnswer', () => {
  it('scores a failed query 0 on both evaluators', () => {
    const scores = scoreAnswer(undefined, { expected_topics: ['rag'], expected_paper_ids: ['p1'] }, 5);
    expect([scores.topic_coverage.score, scores.retrieval_hit.score]).toEqual([0, 0]);
  });
});

describe('summarize', () => {
  const result = (id: string, coverage: number, hit: number, cost: number | null): ExampleResult => ({
    id,
    query: `query ${id}`,
    scores: {
      topic_coverage: { key: 'topic_coverage', score: coverage, comment: '' },
      retrieval_hit: { key: 'retrieval_hit', score: hit, comment: '' },
    },
    outputs: {
      answer: 'a',
      source_ids: [],
      trace_id: 't',
      model: 'm',
      tokens: { input: 10, cached: 0, output: 5, reasoning: 0, total: 15 },
      cost_usd: cost,
      latency_ms: 10,
    },
  });
  const info = { dataset: 'd', mode: 'offline' as const, provider: 'offline', topK: 5, startedAt: '2026-11-26T00:00:00.000Z' };

  it('averages each evaluator, totals tokens, cost and latency, and fails a mean below its threshold', () => {
    const report = summarize([result('1', 1, 0.5, 0.25), result('2', 0.5, 0.5, null)], { topic_coverage: 0.7, retrieval_hit: 0.6 }, info);
    expect(report.means).toEqual({ topic_coverage: 0.75, retrieval_hit: 0.5 });
    expect(report.totals).toEqual({ tokens: 30, costUsd: 0.25, unpricedExamples: 1, latencyMs: 20, failedExamples: 0 });
    expect(report.failures).toEqual(['retrieval_hit mean 0.500 is below the threshold 0.6']);
    expect(report.passed).toBe(false);
  });
});
