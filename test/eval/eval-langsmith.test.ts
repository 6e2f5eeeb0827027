import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'langsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvalCli } from '../../src/eval/cli.js';
import { loadEvalDataset } from '../../src/eval/dataset.js';
import { syncDataset } from '../../src/eval/langsmith-dataset.js';
import type { EvalReport } from '../../src/eval/report.js';
import { startLangSmithFake, type LangSmithFake } from '../fakes/langsmith.js';

// `npm run eval` with LangSmith configured, against the fake: dataset, experiment and feedback uploaded.
const apiKey = 'ls-eval-key';
const dataset = loadEvalDataset();
const reportPath = join(mkdtempSync(join(tmpdir(), 'eval-langsmith-')), 'report.json');
const out: string[] = [];
let langsmith: LangSmithFake;
let status: number;
let report: EvalReport;

beforeAll(async () => {
  langsmith = await startLangSmithFake({ apiKey });
  status = await runEvalCli(['--report', reportPath, '--experiment-prefix', 'ci-check'], {
    env: { LANGSMITH_API_KEY: apiKey, LANGSMITH_ENDPOINT: langsmith.url },
    out: (line) => out.push(line),
    err: (line) => out.push(line),
  });
  report = JSON.parse(readFileSync(reportPath, 'utf8')) as EvalReport;
}, 90_000);

afterAll(() => langsmith?.close());

describe('npm run eval, with LangSmith', () => {
  it('uploads the dataset with one example per entry of the file', () => {
    const [uploaded] = langsmith.datasets();
    expect(langsmith.datasets()).toHaveLength(1);
    expect(uploaded?.name).toBe('research-queries-test-set');
    const examples = langsmith.examples();
    expect(examples).toHaveLength(dataset.examples.length);
    const first = examples.find((example) => example.metadata?.example_id === 'ex-01');
    expect(first?.inputs).toEqual({ query: dataset.examples[0]?.query });
    expect(first?.outputs).toEqual({ expected_topics: dataset.examples[0]?.expected_topics, expected_paper_ids: dataset.examples[0]?.expected_paper_ids });
  });

  it('runs an experiment with the prefix and uploads both evaluators’ feedback for every run', () => {
    expect(status).toBe(0);
    expect(report.mode).toBe('langsmith');
    expect(report.experiment).toMatch(/^ci-check-/);
    expect(langsmith.sessions().map((session) => session.name)).toContain(report.experiment);
    const targetRuns = langsmith.runs().filter((run) => run.session_name === report.experiment && !run.parent_run_id);
    expect(targetRuns).toHaveLength(dataset.examples.length);
    expect(new Set(targetRuns.map((run) => run.reference_example_id))).toEqual(new Set(langsmith.examples().map((example) => example.id)));
    const feedback = langsmith.feedback();
    for (const key of ['topic_coverage', 'retrieval_hit']) {
      expect(feedback.filter((item) => item.key === key)).toHaveLength(dataset.examples.length);
    }
    expect(feedback.find((item) => item.key === 'topic_coverage')?.comment).toMatch(/^Covered \d+\/\d+$/);
  });

  it('reports the same scores as the offline mode would, with a progress line per example', () => {
    expect(report.examples.map((example) => example.id).sort()).toEqual(dataset.examples.map((example) => example.id).sort());
    expect(out.filter((line) => /^\[\s*\d+\/\d+\] /.test(line))).toHaveLength(dataset.examples.length);
    const uploaded = langsmith.feedback().filter((item) => item.key === 'topic_coverage');
    const mean = uploaded.reduce((sum, item) => sum + Number(item.score), 0) / uploaded.length;
    expect(report.means.topic_coverage).toBeCloseTo(mean, 3);
  });

  it('reuses the dataset and its examples on the next run', async () => {
    const client = new Client({ apiUrl: langsmith.url, apiKey, callerOptions: { maxRetries: 0 } });
    const sync = await syncDataset(client, dataset);
    expect(sync).toMatchObject({ created: 0, reused: dataset.examples.length, stale: [] });
    expect(langsmith.examples()).toHaveLength(dataset.examples.length);
  });
});
