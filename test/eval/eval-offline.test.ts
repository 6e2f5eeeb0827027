import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvalCli } from '../../src/eval/cli.js';
import type { EvalReport } from '../../src/eval/report.js';

// `npm run eval` with no LangSmith and no model key: the offline provider, scored locally.
const dir = mkdtempSync(join(tmpdir(), 'eval-offline-'));
const reportPath = join(dir, 'report.json');
const out: string[] = [];
const err: string[] = [];
let status: number;
let report: EvalReport;
const fetchSpy = vi.spyOn(globalThis, 'fetch');

beforeAll(async () => {
  // A topic-coverage bar the offline answers cannot reach, to see the failing exit status too.
  status = await runEvalCli(['--report', reportPath, '--min-topic-coverage', '0.99'], {
    env: {},
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  report = JSON.parse(readFileSync(reportPath, 'utf8')) as EvalReport;
}, 60_000);

afterAll(() => fetchSpy.mockRestore());

describe('npm run eval, offline', () => {
  it('evaluates every example of the dataset with both evaluators and makes no HTTP call', () => {
    expect(report.mode).toBe('offline');
    expect(report.dataset).toBe('research-queries-test-set');
    expect(report.examples.length).toBeGreaterThanOrEqual(23);
    for (const example of report.examples) {
      expect(example.error).toBeUndefined();
      expect(example.comments.topic_coverage).toMatch(/^Covered \d+\/\d+$/);
      expect(example.comments.retrieval_hit).toMatch(/^Found \d+\/\d+ in top 5$/);
      expect(example.tokens).toBeGreaterThan(0);
    }
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('prints a progress line per example, then the table with the means and totals', () => {
    const progress = out.filter((line) => /^\[\s*\d+\/\d+\] /.test(line));
    expect(progress).toHaveLength(report.examples.length);
    expect(progress[0]).toMatch(/ex-01 topic_coverage=\d\.\d\d retrieval_hit=\d\.\d\d \d+ tok \$0\.000000 \d+ ms/);
    const footer = out.join('\n').split('\n').find((line) => line.startsWith('mean / total'));
    expect(footer).toContain(report.means.topic_coverage.toFixed(3));
    expect(footer).toContain(`${report.totals.tokens}`);
  });

  it('reaches useful means offline, and exits 1 when a mean is below its threshold', () => {
    expect(report.means.topic_coverage).toBeGreaterThan(0.8);
    expect(report.means.retrieval_hit).toBeGreaterThan(0.9);
    expect(report.passed).toBe(false);
    expect(status).toBe(1);
    expect(err).toEqual([`FAIL: topic_coverage mean ${report.means.topic_coverage.toFixed(3)} is below the threshold 0.99`]);
  });

  it('rejects a bad flag with the usage text and status 2', async () => {
    const messages: string[] = [];
    expect(await runEvalCli(['--min-retrieval-hit', '2'], { env: {}, err: (line) => messages.push(line) })).toBe(2);
    expect(messages.join('\n')).toMatch(/--min-retrieval-hit must be a number from 0 to 1[\s\S]*Usage: npm run eval/);
    expect(await runEvalCli(['--no-such-flag'], { env: {}, err: () => undefined })).toBe(2);
  });
});
