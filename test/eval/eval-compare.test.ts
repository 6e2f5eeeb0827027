import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvalCli } from '../../src/eval/cli.js';
import { loadEvalDataset } from '../../src/eval/dataset.js';
import type { EvalReport } from '../../src/eval/report.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';

// `npm run eval -- --compare 1,2`: the dataset once per prompt version, then both side by side.
const dir = mkdtempSync(join(tmpdir(), 'eval-compare-'));
const full = loadEvalDataset();
// Three examples keep the LangSmith run short; the offline run uses the whole file.
const smallDataset = join(dir, 'small.json');
writeFileSync(smallDataset, JSON.stringify({ ...JSON.parse(readFileSync('data/eval/research-queries.json', 'utf8')), examples: full.examples.slice(0, 3) }));

async function evaluate(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const reportPath = join(dir, `${args.join('-').replace(/\W/g, '')}.json`);
  const status = await runEvalCli([...args, '--report', reportPath], { env, out: (line) => out.push(line), err: (line) => err.push(line) });
  const report = status === 2 ? undefined : (JSON.parse(readFileSync(reportPath, 'utf8')) as { compare: Array<{ title: string; report: EvalReport }> });
  return { status, out: out.join('\n'), err: err.join('\n'), report };
}

describe('npm run eval -- --compare, offline', () => {
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  let run: Awaited<ReturnType<typeof evaluate>>;
  beforeAll(async () => {
    run = await evaluate(['--compare', '1,2']);
  }, 60_000);
  afterAll(() => fetchSpy.mockRestore());

  it('runs every example with each version and makes no HTTP call', () => {
    expect(run.status, run.err).toBe(0);
    expect(run.report?.compare.map((side) => [side.title, side.report.examples.length])).toEqual([
      ['v1', full.examples.length],
      ['v2', full.examples.length],
    ]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('prints one table with both versions side by side and the difference', () => {
    const [a, b] = run.report?.compare.map((side) => side.report) as [EvalReport, EvalReport];
    const table = run.out.slice(run.out.lastIndexOf('\n', run.out.indexOf('  v1  ')) + 1).split('\n');
    expect(table[0]).toMatch(/^\s+v1\s+v2\s+difference$/);
    const row = (name: string) => table.find((line) => line.startsWith(name))?.split(/\s{2,}/);
    expect(row('topic_coverage (mean)')).toEqual([
      'topic_coverage (mean)',
      a.means.topic_coverage.toFixed(3),
      b.means.topic_coverage.toFixed(3),
      expect.stringMatching(/^[+±-]\d\.\d{3}$/),
    ]);
    expect(row('retrieval_hit (mean)')?.slice(1, 3)).toEqual([a.means.retrieval_hit.toFixed(3), b.means.retrieval_hit.toFixed(3)]);
    const tokens = row('tokens (total)');
    expect(tokens?.slice(1)).toEqual([String(a.totals.tokens), String(b.totals.tokens), `${b.totals.tokens >= a.totals.tokens ? '+' : '-'}${Math.abs(b.totals.tokens - a.totals.tokens)}`]);
    // The versions' texts differ, so the offline tokenizer counts different prompt tokens.
    expect(a.totals.tokens).not.toBe(b.totals.tokens);
    expect(row('cost (total)')?.slice(1)).toEqual(['$0.000000', '$0.000000', '±$0.000000']);
    expect(row('latency (mean)')?.[1]).toMatch(/^\d+ ms$/);
  });

  it('accepts labels, and refuses anything but two different versions or labels', async () => {
    const labels = await evaluate(['--compare', 'production,1', '--dataset', smallDataset]);
    expect(labels.status, labels.err).toBe(0);
    expect(labels.out).toMatch(/\s+production \(v2\)\s+v1\s+difference/);
    for (const bad of ['1', '1,1', '1,2,3', 'Prod Label,1']) {
      const refused = await evaluate(['--compare', bad]);
      expect(refused.status, bad).toBe(2);
      expect(refused.err).toContain('--compare takes two different versions or labels');
    }
    const missing = await evaluate(['--compare', '1,9']);
    expect([missing.status, missing.err]).toEqual([2, 'prompt research-answer: version 9 is not in prompts/research-answer.yaml']);
  });
});

describe('npm run eval -- --compare, with LangSmith', () => {
  let langsmith: LangSmithFake;
  let run: Awaited<ReturnType<typeof evaluate>>;
  beforeAll(async () => {
    langsmith = await startLangSmithFake({ apiKey: 'ls-key' });
    run = await evaluate(['--compare', '1,2', '--dataset', smallDataset, '--experiment-prefix', 'ab'], {
      LANGSMITH_API_KEY: 'ls-key',
      LANGSMITH_ENDPOINT: langsmith.url,
    });
  }, 90_000);
  afterAll(() => langsmith?.close());

  it('makes each version its own experiment, with the version in the experiment metadata', () => {
    expect(run.status, run.err).toBe(0);
    const experiments = run.report?.compare.map((side) => side.report.experiment) ?? [];
    expect(experiments).toEqual([expect.stringMatching(/^ab-prompt-v1-/), expect.stringMatching(/^ab-prompt-v2-/)]);
    for (const [index, name] of experiments.entries()) {
      const session = langsmith.sessions().find((candidate) => candidate.name === name);
      expect((session?.extra as { metadata?: Record<string, unknown> } | undefined)?.metadata).toMatchObject({ prompt_version: index + 1, prompt_choice: `v${index + 1}` });
      expect(langsmith.runs().filter((r) => r.session_name === name && !r.parent_run_id)).toHaveLength(3);
    }
    expect(run.out).toMatch(/\s+v1\s+v2\s+difference/);
  });
});
