import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { evaluatorKeys, type EvaluatorKey, type Score } from './evaluators.js';
import type { TargetOutputs } from './target.js';

export interface ExampleResult {
  id: string;
  query: string;
  scores: Record<EvaluatorKey, Score>;
  /** Undefined when the query failed; `error` says why. */
  outputs?: TargetOutputs;
  error?: string;
}

export type Thresholds = Record<EvaluatorKey, number>;

export interface EvalReport {
  dataset: string;
  mode: 'offline' | 'langsmith';
  experiment?: string;
  provider: string;
  topK: number;
  startedAt: string;
  finishedAt: string;
  examples: Array<Omit<ExampleResult, 'scores' | 'outputs'> & {
    scores: Record<EvaluatorKey, number>;
    comments: Record<EvaluatorKey, string>;
    answer?: string;
    sourceIds?: string[];
    model?: string;
    traceId?: string;
    tokens?: number;
    costUsd?: number | null;
    latencyMs?: number;
  }>;
  means: Record<EvaluatorKey, number>;
  totals: { tokens: number; costUsd: number; unpricedExamples: number; latencyMs: number; failedExamples: number };
  thresholds: Thresholds;
  /** One line per mean below its threshold; empty when the run passes. */
  failures: string[];
  passed: boolean;
}

type RunInfo = Pick<EvalReport, 'dataset' | 'mode' | 'experiment' | 'provider' | 'topK' | 'startedAt'>;

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const perKey = <T>(make: (key: EvaluatorKey) => T) => Object.fromEntries(evaluatorKeys.map((key) => [key, make(key)])) as Record<EvaluatorKey, T>;

export function summarize(results: ExampleResult[], thresholds: Thresholds, info: RunInfo): EvalReport {
  const means = perKey((key) => round(results.reduce((sum, result) => sum + result.scores[key].score, 0) / Math.max(results.length, 1), 4));
  const failures = evaluatorKeys
    .filter((key) => means[key] < thresholds[key])
    .map((key) => `${key} mean ${means[key].toFixed(3)} is below the threshold ${thresholds[key]}`);
  const priced = results.filter((result) => typeof result.outputs?.cost_usd === 'number');
  return {
    ...info,
    finishedAt: new Date().toISOString(),
    examples: results.map(({ id, query, scores, outputs, error }) => ({
      id,
      query,
      scores: perKey((key) => round(scores[key].score, 4)),
      comments: perKey((key) => scores[key].comment),
      ...(outputs
        ? {
            answer: outputs.answer,
            sourceIds: outputs.source_ids,
            model: outputs.model,
            traceId: outputs.trace_id,
            tokens: outputs.tokens.total,
            costUsd: outputs.cost_usd,
            latencyMs: outputs.latency_ms,
          }
        : {}),
      ...(error ? { error } : {}),
    })),
    means,
    totals: {
      tokens: results.reduce((sum, result) => sum + (result.outputs?.tokens.total ?? 0), 0),
      costUsd: round(priced.reduce((sum, result) => sum + (result.outputs?.cost_usd ?? 0), 0), 9),
      unpricedExamples: results.filter((result) => result.outputs && result.outputs.cost_usd === null).length,
      latencyMs: round(results.reduce((sum, result) => sum + (result.outputs?.latency_ms ?? 0), 0), 2),
      failedExamples: results.filter((result) => result.error !== undefined).length,
    },
    thresholds,
    failures,
    passed: failures.length === 0,
  };
}

const money = (usd: number | null | undefined) => (usd === null || usd === undefined ? 'n/a' : `$${usd.toFixed(6)}`);

/** One line per finished example, printed as the run goes. */
export function progressLine(result: ExampleResult, done: number, total: number): string {
  const width = String(total).length;
  const scores = evaluatorKeys.map((key) => `${key}=${result.scores[key].score.toFixed(2)}`).join(' ');
  const usage = result.outputs
    ? `${result.outputs.tokens.total} tok ${money(result.outputs.cost_usd)} ${Math.round(result.outputs.latency_ms)} ms`
    : `FAILED: ${result.error}`;
  return `[${String(done).padStart(width)}/${total}] ${result.id} ${scores} ${usage}`;
}

export function formatTable(report: EvalReport): string {
  const header = ['example', ...evaluatorKeys, 'tokens', 'cost', 'latency'];
  const rows = report.examples.map((example) => [
    example.id,
    ...evaluatorKeys.map((key) => example.scores[key].toFixed(2)),
    example.tokens === undefined ? '-' : String(example.tokens),
    example.error ? 'failed' : money(example.costUsd),
    example.latencyMs === undefined ? '-' : `${Math.round(example.latencyMs)} ms`,
  ]);
  const footer = [
    'mean / total',
    ...evaluatorKeys.map((key) => report.means[key].toFixed(3)),
    String(report.totals.tokens),
    money(report.totals.costUsd) + (report.totals.unpricedExamples ? ` (+${report.totals.unpricedExamples} unpriced)` : ''),
    `${Math.round(report.totals.latencyMs)} ms`,
  ];
  const widths = header.map((_, column) => Math.max(...[header, ...rows, footer].map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, line(footer)].join('\n');
}

/** Writes one run's report, or `{compare: [{title, report}, …]}` for `--compare`. */
export function writeReport(path: string, report: EvalReport | { compare: Array<{ title: string; report: EvalReport }> }): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
