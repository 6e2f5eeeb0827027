import { describe, expect, it } from 'vitest';
import { metricValue, metricValueIfAny } from './metrics-text.js';

const text = [
  '# HELP llm_requests_total LLM calls',
  '# TYPE llm_requests_total counter',
  'llm_requests_total{model="a",status="success"} 2',
  'llm_requests_total{model="b",status="success"} 3',
  'llm_requests_total{model="a",status="error"} 0',
].join('\n');

describe('metricValue', () => {
  it('sums the series whose labels match, and reads a present 0 as 0', () => {
    expect(metricValue(text, 'llm_requests_total', { status: 'success' })).toBe(5);
    expect(metricValue(text, 'llm_requests_total', { status: 'error' })).toBe(0);
  });

  it('throws on a missing metric or label value instead of answering 0', () => {
    expect(() => metricValue(text, 'llm_request_total')).toThrow(/no series llm_request_total/);
    expect(() => metricValue(text, 'llm_requests_total', { status: 'timeout' })).toThrow(/no series/);
    expect(() => metricValue('# HELP llm_requests_total only help\n', 'llm_requests_total')).toThrow(/no series/);
  });

  it('reads 0 before the work only when the metric has no series at all yet', () => {
    expect(metricValueIfAny('', 'llm_requests_total', { status: 'error' })).toBe(0);
    expect(metricValueIfAny(text, 'llm_requests_total', { status: 'success' })).toBe(5);
    expect(() => metricValueIfAny(text, 'llm_requests_total', { status: 'timeout' })).toThrow(/no series/);
  });
});
