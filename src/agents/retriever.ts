import MiniSearch from 'minisearch';
import type { Paper } from './corpus.js';

export interface RankedPaper {
  paper: Paper;
  /** BM25 score scaled so that the best match of this query is 1. */
  score: number;
}

export interface Retrieval {
  papers: RankedPaper[];
  averageRelevance: number;
}

// Function words match most papers: each one costs a scoring pass over them all and adds only noise.
const stopWords = new Set(
  'a about an and are as at be been but by can could do does for from had has have how i if in into is it its me my of on or our should so than that the their them then there these they this those to was we were what when where which who whom why will with would you your'.split(
    ' ',
  ),
);
const indexTerm = (term: string) => {
  const lower = term.toLowerCase();
  return stopWords.has(lower) ? null : lower;
};

/** BM25 (MiniSearch's BM25+) over title, summary and topics; the index is built once at start-up. */
export function createRetriever(corpus: Paper[]) {
  const index = new MiniSearch<Paper>({
    fields: ['title', 'summary', 'topicText'],
    storeFields: [],
    processTerm: indexTerm,
    extractField: (paper, field) =>
      field === 'topicText' ? paper.topics.join(' ') : String(paper[field as keyof Paper] ?? ''),
    // maxFuzzy 1: two-edit matching of long terms was a third of a query's CPU (docs/BENCHMARKS.md),
    // and the eval set's expected papers all stay in the top 5 with one edit.
    searchOptions: { boost: { title: 2, topicText: 1.5 }, prefix: true, fuzzy: 0.2, maxFuzzy: 1, combineWith: 'OR' },
  });
  index.addAll(corpus);
  const byId = new Map(corpus.map((paper) => [paper.id, paper]));

  return {
    size: corpus.length,
    retrieve(query: string, topK: number): Retrieval {
      const hits = index.search(query).slice(0, topK);
      const best = hits[0]?.score ?? 0;
      const papers = hits.map((hit) => ({
        paper: byId.get(String(hit.id)) as Paper,
        score: best > 0 ? Math.round((hit.score / best) * 1e4) / 1e4 : 0,
      }));
      const averageRelevance = papers.length ? papers.reduce((sum, hit) => sum + hit.score, 0) / papers.length : 0;
      return { papers, averageRelevance: Math.round(averageRelevance * 1e4) / 1e4 };
    },
  };
}

export type Retriever = ReturnType<typeof createRetriever>;
