#!/usr/bin/env node
// Validates the shipped paper corpus (data/papers.jsonl) and the evaluation dataset
// (data/eval/research-queries.json), then measures how well the service's own retriever
// (src/agents/retriever.ts, BM25) finds each eval example's expected papers and topics.
//
// Usage: node --import tsx scripts/check-data.mjs [--verbose]   (npm run check-data)
// Exit code is non-zero when the data is invalid or the retrieval thresholds are missed.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAPERS_PATH = join(ROOT, 'data', 'papers.jsonl');
const EVAL_PATH = join(ROOT, 'data', 'eval', 'research-queries.json');

const MIN_PAPERS = 100;
const TOP_K = 5;
const MIN_HIT_RATE = 0.9; // share of examples whose expected papers are all in the top 5
const MIN_TOPIC_SHARE = 2 / 3; // share of an example's topics that must occur in the top-5 summaries
const MIN_TOPIC_RATE = 0.9; // share of examples that must reach MIN_TOPIC_SHARE
const SUMMARY_WORDS = [60, 120];
const TOPICS_COUNT = [3, 6];
const MAX_AUTHORS = 7; // up to 6 names, then "et al."
const REFERENCE_EXAMPLES = 3; // ex-01..ex-03 come from the reference book chapter

// The retriever the service runs, so that this check cannot drift from what users get.
const { createRetriever } = await import('../src/agents/retriever.ts');

const verbose = process.argv.includes('--verbose');
const errors = [];
const warnings = [];
const err = (msg) => errors.push(msg);
const warn = (msg) => warnings.push(msg);

const isNonEmptyString = (v) => typeof v === 'string' && v.trim().length > 0;
const wordCount = (s) => s.trim().split(/\s+/).filter(Boolean).length;

// ------------------------------------------------------------------ papers.jsonl
function loadPapers() {
  let text;
  try {
    text = readFileSync(PAPERS_PATH, 'utf8');
  } catch (e) {
    err(`cannot read ${PAPERS_PATH}: ${e.message}`);
    return [];
  }
  const papers = [];
  const seenIds = new Map();
  const seenTitles = new Map();
  const seenArxiv = new Map();
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    if (raw.trim() === '') {
      if (idx !== lines.length - 1) err(`papers.jsonl:${lineNo}: blank line`);
      return;
    }
    let p;
    try {
      p = JSON.parse(raw);
    } catch (e) {
      err(`papers.jsonl:${lineNo}: invalid JSON (${e.message})`);
      return;
    }
    const where = `papers.jsonl:${lineNo}${p && p.id ? ` (${p.id})` : ''}`;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      err(`${where}: not a JSON object`);
      return;
    }
    const expected = ['id', 'title', 'authors', 'year', 'url', 'arxiv_id', 'topics', 'summary'];
    for (const k of expected) if (!(k in p)) err(`${where}: missing field "${k}"`);
    for (const k of Object.keys(p)) if (!expected.includes(k)) err(`${where}: unexpected field "${k}"`);

    if (!isNonEmptyString(p.id) || !/^[a-z0-9][a-z0-9-]*$/.test(p.id)) err(`${where}: id must be a lowercase slug`);
    if (!isNonEmptyString(p.title)) err(`${where}: title must be a non-empty string`);

    if (!Array.isArray(p.authors) || p.authors.length === 0 || !p.authors.every(isNonEmptyString)) {
      err(`${where}: authors must be a non-empty array of strings`);
    } else {
      if (p.authors.length > MAX_AUTHORS) err(`${where}: more than ${MAX_AUTHORS} authors entries`);
      const etAl = p.authors.indexOf('et al.');
      if (etAl !== -1 && etAl !== p.authors.length - 1) err(`${where}: "et al." must be the last author entry`);
      if (p.authors.length === MAX_AUTHORS && etAl !== MAX_AUTHORS - 1) err(`${where}: 7th author entry must be "et al."`);
    }

    if (!Number.isInteger(p.year) || p.year < 1950 || p.year > new Date().getFullYear()) err(`${where}: bad year`);

    if (!isNonEmptyString(p.url) || !/^https?:\/\//.test(p.url)) err(`${where}: url must be an http(s) URL`);
    if (p.arxiv_id !== null) {
      if (typeof p.arxiv_id !== 'string' || !/^\d{4}\.\d{4,5}$/.test(p.arxiv_id)) {
        err(`${where}: arxiv_id must be null or a new-style arXiv id (YYMM.NNNNN)`);
      } else if (p.url !== `https://arxiv.org/abs/${p.arxiv_id}`) {
        err(`${where}: url must be https://arxiv.org/abs/${p.arxiv_id} when arxiv_id is set`);
      }
    } else if (typeof p.url === 'string' && p.url.includes('arxiv.org')) {
      err(`${where}: arXiv url but arxiv_id is null`);
    }

    if (!Array.isArray(p.topics) || !p.topics.every(isNonEmptyString)) {
      err(`${where}: topics must be an array of strings`);
    } else {
      if (p.topics.length < TOPICS_COUNT[0] || p.topics.length > TOPICS_COUNT[1]) {
        err(`${where}: ${p.topics.length} topics (want ${TOPICS_COUNT[0]}-${TOPICS_COUNT[1]})`);
      }
      for (const t of p.topics) if (t !== t.toLowerCase()) err(`${where}: topic "${t}" is not lowercase`);
      if (new Set(p.topics).size !== p.topics.length) err(`${where}: duplicate topics`);
    }

    if (!isNonEmptyString(p.summary)) {
      err(`${where}: summary must be a non-empty string`);
    } else {
      const n = wordCount(p.summary);
      if (n < SUMMARY_WORDS[0] || n > SUMMARY_WORDS[1]) err(`${where}: summary has ${n} words (want ${SUMMARY_WORDS.join('-')})`);
    }

    if (isNonEmptyString(p.id)) {
      if (seenIds.has(p.id)) err(`${where}: duplicate id (first on line ${seenIds.get(p.id)})`);
      else seenIds.set(p.id, lineNo);
    }
    if (isNonEmptyString(p.title)) {
      const key = p.title.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
      if (seenTitles.has(key)) err(`${where}: duplicate title (first on line ${seenTitles.get(key)})`);
      else seenTitles.set(key, lineNo);
    }
    if (typeof p.arxiv_id === 'string') {
      if (seenArxiv.has(p.arxiv_id)) err(`${where}: duplicate arxiv_id (first on line ${seenArxiv.get(p.arxiv_id)})`);
      else seenArxiv.set(p.arxiv_id, lineNo);
    }
    papers.push(p);
  });
  if (papers.length < MIN_PAPERS) err(`only ${papers.length} papers (need at least ${MIN_PAPERS})`);
  return papers;
}

// ------------------------------------------------------------------ research-queries.json
function loadEval(paperIds) {
  let data;
  try {
    data = JSON.parse(readFileSync(EVAL_PATH, 'utf8'));
  } catch (e) {
    err(`cannot read/parse ${EVAL_PATH}: ${e.message}`);
    return [];
  }
  if (data.name !== 'research-queries-test-set') err(`eval: name must be "research-queries-test-set"`);
  if (!isNonEmptyString(data.description)) err(`eval: description must be a non-empty string`);
  if (!Array.isArray(data.examples) || data.examples.length === 0) {
    err(`eval: examples must be a non-empty array`);
    return [];
  }
  const seen = new Set();
  data.examples.forEach((ex, i) => {
    const where = `eval example #${i + 1}${ex && ex.id ? ` (${ex.id})` : ''}`;
    if (!isNonEmptyString(ex.id)) err(`${where}: id must be a non-empty string`);
    else if (seen.has(ex.id)) err(`${where}: duplicate id`);
    else seen.add(ex.id);
    if (!isNonEmptyString(ex.query)) err(`${where}: query must be a non-empty string`);
    if (!Array.isArray(ex.expected_topics) || ex.expected_topics.length === 0 || !ex.expected_topics.every(isNonEmptyString)) {
      err(`${where}: expected_topics must be a non-empty array of strings`);
    }
    if (!Array.isArray(ex.expected_paper_ids) || ex.expected_paper_ids.length === 0) {
      err(`${where}: expected_paper_ids must be a non-empty array`);
    } else {
      for (const id of ex.expected_paper_ids) if (!paperIds.has(id)) err(`${where}: expected paper "${id}" not in papers.jsonl`);
      if (ex.expected_paper_ids.length > TOP_K) err(`${where}: more than ${TOP_K} expected papers can never all be in the top ${TOP_K}`);
    }
  });
  return data.examples;
}

// ------------------------------------------------------------------ retrieval check
function buildIndex(papers) {
  return createRetriever(papers);
}

function evaluate(index, papersById, examples) {
  const rows = [];
  for (const ex of examples) {
    const topIds = index.retrieve(ex.query, TOP_K).papers.map((hit) => hit.paper.id);
    const expectedIds = ex.expected_paper_ids ?? [];
    const found = expectedIds.filter((id) => topIds.includes(id));
    const text = topIds.map((id) => papersById.get(id)?.summary ?? '').join('\n').toLowerCase();
    const topics = ex.expected_topics ?? [];
    const coveredTopics = topics.filter((t) => text.includes(t.toLowerCase()));
    // Grounding: every expected topic should be stated by at least one expected paper's own summary.
    const expectedText = expectedIds.map((id) => papersById.get(id)?.summary ?? '').join('\n').toLowerCase();
    const ungrounded = topics.filter((t) => !expectedText.includes(t.toLowerCase()));
    if (ungrounded.length) warn(`${ex.id}: topics not in any expected paper's summary: ${ungrounded.join(', ')}`);
    // The reference-chapter examples are stricter: each expected paper must state every expected topic.
    if (examples.indexOf(ex) < REFERENCE_EXAMPLES) {
      for (const id of expectedIds) {
        const own = (papersById.get(id)?.summary ?? '').toLowerCase();
        const missing = topics.filter((t) => !own.includes(t.toLowerCase()));
        if (missing.length) err(`${ex.id}: summary of ${id} lacks expected topics: ${missing.join(', ')}`);
      }
    }
    rows.push({
      id: ex.id,
      query: ex.query,
      topIds,
      expectedIds,
      found,
      hit: expectedIds.length > 0 && found.length === expectedIds.length,
      anyHit: found.length > 0,
      topics,
      coveredTopics,
      topicShare: topics.length ? coveredTopics.length / topics.length : 0,
    });
  }
  return rows;
}

// ------------------------------------------------------------------ main
const papers = loadPapers();
const paperIds = new Set(papers.map((p) => p.id));
const examples = loadEval(paperIds);

console.log(`papers:   ${papers.length} (${PAPERS_PATH.replace(ROOT + '/', '')})`);
console.log(`examples: ${examples.length} (${EVAL_PATH.replace(ROOT + '/', '')})`);

let failed = false;
if (papers.length > 0 && examples.length > 0) {
  const index = buildIndex(papers.filter((p) => isNonEmptyString(p.id) && Array.isArray(p.topics)));
  const byId = new Map(papers.map((p) => [p.id, p]));
  const rows = evaluate(index, byId, examples);

  console.log('\nper-example retrieval (top ' + TOP_K + '):');
  for (const r of rows) {
    const topicOk = r.topicShare >= MIN_TOPIC_SHARE;
    const mark = r.hit && topicOk ? 'ok  ' : 'MISS';
    console.log(
      `  ${mark} ${r.id.padEnd(6)} papers ${r.found.length}/${r.expectedIds.length}  topics ${r.coveredTopics.length}/${r.topics.length}  ${r.query}`,
    );
    if (verbose || !r.hit || !topicOk) {
      console.log(`         top-${TOP_K}: ${r.topIds.join(', ')}`);
      const missingPapers = r.expectedIds.filter((id) => !r.found.includes(id));
      if (missingPapers.length) console.log(`         missing papers: ${missingPapers.join(', ')}`);
      const missingTopics = r.topics.filter((t) => !r.coveredTopics.includes(t));
      if (missingTopics.length) console.log(`         missing topics: ${missingTopics.join(', ')}`);
    }
  }

  const n = rows.length;
  const hitRate = rows.filter((r) => r.hit).length / n;
  const anyHitRate = rows.filter((r) => r.anyHit).length / n;
  const recall = rows.reduce((s, r) => s + r.found.length, 0) / rows.reduce((s, r) => s + r.expectedIds.length, 0);
  const topicRate = rows.filter((r) => r.topicShare >= MIN_TOPIC_SHARE).length / n;
  const meanTopicShare = rows.reduce((s, r) => s + r.topicShare, 0) / n;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;

  console.log('\nsummary:');
  console.log(`  hit rate (all expected papers in top ${TOP_K}): ${pct(hitRate)}  (threshold ${pct(MIN_HIT_RATE)})`);
  console.log(`  any-hit rate (>=1 expected paper in top ${TOP_K}): ${pct(anyHitRate)}`);
  console.log(`  expected-paper recall@${TOP_K}: ${pct(recall)}`);
  console.log(`  topic coverage (examples covering >= 2/3 of topics): ${pct(topicRate)}  (threshold ${pct(MIN_TOPIC_RATE)})`);
  console.log(`  mean topic coverage: ${pct(meanTopicShare)}`);

  if (hitRate < MIN_HIT_RATE) {
    err(`hit rate ${pct(hitRate)} below ${pct(MIN_HIT_RATE)}`);
  }
  if (topicRate < MIN_TOPIC_RATE) {
    err(`topic coverage ${pct(topicRate)} below ${pct(MIN_TOPIC_RATE)}`);
  }
}

if (warnings.length) {
  console.log(`\n${warnings.length} warning(s):`);
  for (const w of warnings) console.log(`  - ${w}`);
}
if (errors.length) {
  failed = true;
  console.log(`\n${errors.length} error(s):`);
  for (const e of errors) console.log(`  - ${e}`);
}
console.log(failed ? '\nFAIL' : '\nOK');
process.exit(failed ? 1 : 0);
