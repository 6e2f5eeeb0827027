import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorpusError, loadCorpus } from '../../src/agents/corpus.js';
import { createRetriever } from '../../src/agents/retriever.js';

const paper = (id: string, title: string, summary: string, topics: string[] = []) => ({
  id,
  title,
  authors: ['A. Author'],
  year: 2020,
  url: `https://arxiv.org/abs/${id}`,
  topics,
  summary,
});

const corpus = [
  paper('rag', 'Retrieval-Augmented Generation', 'Combines a retriever with a generator for knowledge-intensive tasks.', ['rag', 'retrieval']),
  paper('hnsw', 'Hierarchical Navigable Small World Graphs', 'Approximate nearest neighbour vector search with layered graphs.', ['vector search']),
  paper('transe', 'Translating Embeddings', 'Knowledge graph embeddings as translations between entities.', ['knowledge graphs']),
];

describe('retriever (BM25)', () => {
  it('ranks the matching paper first with scores normalised to 0..1', () => {
    const result = createRetriever(corpus).retrieve('vector search nearest neighbour', 3);
    expect(result.papers[0]?.paper.id).toBe('hnsw');
    expect(result.papers[0]?.score).toBe(1);
    for (const hit of result.papers) expect(hit.score).toBeGreaterThan(0), expect(hit.score).toBeLessThanOrEqual(1);
    expect(result.averageRelevance).toBeGreaterThan(0);
  });

  it('returns at most top_k papers, and none for a query with no match', () => {
    const retriever = createRetriever(corpus);
    expect(retriever.retrieve('retrieval generation graph embeddings', 1).papers).toHaveLength(1);
    expect(retriever.retrieve('zzzqqq', 5)).toMatchObject({ papers: [], averageRelevance: 0 });
  });

  it('ships a corpus of at least 100 papers that answers the reference queries', () => {
    const shipped = loadCorpus();
    expect(shipped.length).toBeGreaterThanOrEqual(100);
    const retriever = createRetriever(shipped);
    expect(retriever.retrieve('What are the latest advances in RAG systems?', 5).papers[0]?.paper.topics.join(' ')).toMatch(/rag|retrieval/i);
    expect(retriever.retrieve('How does vector search work?', 5).papers.length).toBe(5);
  });
});

describe('loadCorpus', () => {
  const write = (lines: string[]) => {
    const file = join(mkdtempSync(join(tmpdir(), 'corpus-')), 'papers.jsonl');
    writeFileSync(file, lines.join('\n'));
    return file;
  };

  it('names the file and line of a line that is not JSON', () => {
    const file = write([JSON.stringify(corpus[0]), '{oops']);
    expect(() => loadCorpus(file)).toThrow(new RegExp(`${file}:2: not valid JSON`));
  });

  it('names the field that is wrong', () => {
    const file = write([JSON.stringify({ ...corpus[0], year: 'soon' })]);
    expect(() => loadCorpus(file)).toThrow(/papers\.jsonl:1: year/);
  });

  it('rejects duplicate ids and missing files with a CorpusError', () => {
    expect(() => loadCorpus(write([JSON.stringify(corpus[0]), JSON.stringify(corpus[0])]))).toThrow(/duplicate paper id "rag"/);
    expect(() => loadCorpus('/nonexistent/papers.jsonl')).toThrow(CorpusError);
  });
});
