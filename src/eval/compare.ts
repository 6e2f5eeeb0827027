import type { Config } from '../config/index.js';
import { createResearchPromptStore, promptSelectors } from '../prompts/index.js';
import { evaluatorKeys } from './evaluators.js';
import type { EvalReport } from './report.js';

/** One side of `--compare`: a prompt version number or a label. */
export interface PromptChoiceSpec {
  spec: string;
  settings: Config['prompts'];
}

/** `1,2` or `production,candidate` → the two prompt settings to evaluate with; throws a usage message. */
export function parseCompare(value: string, base: Config['prompts']): [PromptChoiceSpec, PromptChoiceSpec] {
  const specs = value.split(',').map((part) => part.trim());
  if (specs.length !== 2 || specs.some((spec) => !/^[a-z0-9_.-]+$/.test(spec)) || specs[0] === specs[1]) {
    throw new Error(`--compare takes two different versions or labels, e.g. 1,2 or production,candidate; got "${value}"`);
  }
  const choice = (spec: string): PromptChoiceSpec => ({
    spec,
    settings: /^\d+$/.test(spec)
      ? { ...base, version: Number(spec) }
      : { ...base, version: undefined, variants: [{ label: spec, weight: 100 }] },
  });
  return [choice(specs[0] as string), choice(specs[1] as string)];
}

/** The version a setting serves now (a label resolved through LangFuse or the file); throws naming it when it exists nowhere. */
export async function resolvePromptVersion(config: Config): Promise<number> {
  const store = createResearchPromptStore(config, { fallbackServed: () => undefined, warn: () => undefined });
  try {
    await store.start();
    return store.get(promptSelectors(config.prompts)[0] as Parameters<typeof store.get>[0]).version;
  } finally {
    store.close();
  }
}


/** Both runs side by side: each evaluator's mean, tokens, cost and latency, and B minus A. */
export function formatComparison(sides: Array<{ title: string; report: EvalReport }>): string {
  const [a, b] = sides as [{ title: string; report: EvalReport }, { title: string; report: EvalReport }];
  const examples = (report: EvalReport) => Math.max(report.examples.length, 1);
  const metrics: Array<{ name: string; read: (report: EvalReport) => number; show: (value: number) => string }> = [
    ...evaluatorKeys.map((key) => ({ name: `${key} (mean)`, read: (report: EvalReport) => report.means[key], show: (value: number) => value.toFixed(3) })),
    { name: 'tokens (total)', read: (report) => report.totals.tokens, show: (value) => String(value) },
    { name: 'cost (total)', read: (report) => report.totals.costUsd, show: (value) => `$${value.toFixed(6)}` },
    { name: 'latency (mean)', read: (report) => report.totals.latencyMs / examples(report), show: (value) => `${Math.round(value)} ms` },
    { name: 'failed examples', read: (report) => report.totals.failedExamples, show: (value) => String(value) },
  ];
  const difference = (value: number, show: (value: number) => string) => `${value > 0 ? '+' : value < 0 ? '-' : '±'}${show(Math.abs(value))}`;
  const header = ['', a.title, b.title, 'difference'];
  const rows = metrics.map(({ name, read, show }) => [name, show(read(a.report)), show(read(b.report)), difference(read(b.report) - read(a.report), show)]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
