import type { Client } from 'langsmith';
import { evaluate } from 'langsmith/evaluation';
import type { Example, Run } from 'langsmith/schemas';
import { referenceOf, type EvalDataset, type Reference } from './dataset.js';
import { evaluatorKeys, scoreAnswer, type EvaluatorKey } from './evaluators.js';
import { localIdOf, syncDataset, type DatasetSync } from './langsmith-dataset.js';
import type { ExampleResult } from './report.js';
import type { ResearchTarget, TargetOutputs } from './target.js';

export interface LangSmithEvalOptions {
  client: Client;
  experimentPrefix: string;
  topK: number;
  concurrency: number;
  /** Recorded on the experiment, so runs can be compared by provider, model and prompt. */
  metadata: Record<string, unknown>;
  onSync?: (sync: DatasetSync) => void;
  onResult: (result: ExampleResult) => void;
}

/**
 * Uploads the dataset (create or reuse), then lets `evaluate()` run the target over it: the experiment,
 * its runs and each evaluator's feedback land in LangSmith. Scores come from the same functions as the
 * offline mode, against the reference in the file.
 */
export async function evaluateWithLangSmith(
  dataset: EvalDataset,
  target: ResearchTarget,
  options: LangSmithEvalOptions,
): Promise<{ results: ExampleResult[]; experiment: string }> {
  options.onSync?.(await syncDataset(options.client, dataset));
  const local = new Map(dataset.examples.map((example) => [example.id, referenceOf(example)]));
  const referenceFor = (example: Example): Reference => local.get(localIdOf(example) ?? '') ?? (example.outputs as Reference);
  const resultOf = (run: Run, example: Example): ExampleResult => ({
    id: localIdOf(example) ?? example.id,
    query: String(example.inputs.query),
    outputs: run.outputs as TargetOutputs | undefined,
    ...(run.error ? { error: run.error } : {}),
    scores: scoreAnswer(run.outputs, referenceFor(example), options.topK),
  });

  // evaluate() calls each evaluator once per run; the second one to finish prints the progress line.
  const finished = new Map<string, Set<EvaluatorKey>>();
  const evaluatorFor = (key: EvaluatorKey) => {
    const evaluator = ({ run, example }: { run: Run; example: Example }) => {
      const keys = finished.get(run.id) ?? new Set<EvaluatorKey>();
      finished.set(run.id, keys.add(key));
      if (keys.size === evaluatorKeys.length) options.onResult(resultOf(run, example));
      return scoreAnswer(run.outputs, referenceFor(example), options.topK)[key];
    };
    return Object.defineProperty(evaluator, 'name', { value: key });
  };

  const experiment = await evaluate((inputs: { query: string }) => target.run(inputs.query), {
    data: dataset.name,
    evaluators: evaluatorKeys.map(evaluatorFor),
    experimentPrefix: options.experimentPrefix,
    description: `${dataset.name}: topic coverage and retrieval hit@${options.topK}`,
    maxConcurrency: options.concurrency,
    client: options.client,
    metadata: { ...options.metadata, top_k: options.topK },
  });
  return { results: experiment.results.map(({ run, example }) => resultOf(run, example)), experiment: experiment.experimentName };
}
