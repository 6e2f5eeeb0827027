import { referenceOf, type EvalDataset, type EvalExample } from './dataset.js';
import { scoreAnswer } from './evaluators.js';
import type { ExampleResult } from './report.js';
import type { ResearchTarget } from './target.js';

/** Runs every example in order, locally: no LangSmith, no HTTP beyond what the configured provider makes. */
export async function evaluateOffline(
  dataset: EvalDataset,
  target: ResearchTarget,
  topK: number,
  onResult: (result: ExampleResult) => void,
): Promise<ExampleResult[]> {
  const results: ExampleResult[] = [];
  for (const example of dataset.examples) {
    const result = await runExample(example, target, topK);
    results.push(result);
    onResult(result);
  }
  return results;
}

async function runExample(example: EvalExample, target: ResearchTarget, topK: number): Promise<ExampleResult> {
  const reference = referenceOf(example);
  try {
    const outputs = await target.run(example.query);
    return { id: example.id, query: example.query, outputs, scores: scoreAnswer(outputs, reference, topK) };
  } catch (error) {
    return { id: example.id, query: example.query, error: (error as Error).message, scores: scoreAnswer(undefined, reference, topK) };
  }
}
