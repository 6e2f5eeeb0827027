import { describe, expect, it } from 'vitest';
import { classifyQuery } from '../../src/agents/classifier.js';
import { loadConfig } from '../../src/config/index.js';

describe('classifyQuery and model selection', () => {
  it.each([
    ['What is BM25?', 'definition', 'simple'],
    ['What are the latest advances in RAG systems?', 'survey', 'medium'],
    ['Compare HNSW and product quantization for billion-scale vector search', 'comparison', 'complex'],
    ['How do I evaluate a retrieval-augmented generation pipeline end to end?', 'how-to', 'medium'],
    ['Transformers', 'other', 'simple'],
  ])('%s → %s / %s', (query, queryType, complexity) => {
    expect(classifyQuery(query)).toEqual({ queryType, complexity });
  });

  it('treats long multi-clause questions as complex', () => {
    const long = 'Explain knowledge graph embeddings, and how they relate to text embeddings, and whether they help retrieval, and what the evaluation shows';
    expect(classifyQuery(long).complexity).toBe('complex');
  });

  it('maps complexity to the configured model: cheap for simple, stronger for complex', () => {
    const config = loadConfig({ MODEL_SIMPLE: 'gemini-2.5-flash-lite', MODEL_COMPLEX: 'gemini-2.5-pro' });
    expect(config.llm.models[classifyQuery('What is BM25?').complexity]).toBe('gemini-2.5-flash-lite');
    expect(config.llm.models[classifyQuery('Compare BM25 versus dense retrieval').complexity]).toBe('gemini-2.5-pro');
  });
});
