import type { Client } from 'langsmith';
import type { Example } from 'langsmith/schemas';
import { referenceOf, type EvalDataset, type Reference } from './dataset.js';

export interface DatasetSync {
  datasetId: string;
  created: number;
  reused: number;
  /** Examples whose stored reference differs from the file: the evaluators score against the file. */
  stale: string[];
}

/** The file's id of a LangSmith example, kept in its metadata so that reruns can match them up. */
export const localIdOf = (example: Example): string | undefined => example.metadata?.example_id as string | undefined;

/**
 * Creates the dataset and whichever examples it lacks; examples already there (matched by the file's
 * example id) are reused, so repeated runs compare experiments over the same example ids.
 */
export async function syncDataset(client: Client, dataset: EvalDataset): Promise<DatasetSync> {
  const existing = (await client.hasDataset({ datasetName: dataset.name }))
    ? await client.readDataset({ datasetName: dataset.name })
    : await client.createDataset(dataset.name, { description: dataset.description });
  const stored = new Map<string, Example>();
  for await (const example of client.listExamples({ datasetId: existing.id })) {
    const id = localIdOf(example);
    if (id) stored.set(id, example);
  }
  const missing = dataset.examples.filter((example) => !stored.has(example.id));
  if (missing.length > 0) {
    await client.createExamples(
      missing.map((example) => ({
        dataset_id: existing.id,
        inputs: { query: example.query },
        reference_outputs: referenceOf(example),
        metadata: { example_id: example.id },
      })),
    );
  }
  const stale = dataset.examples
    .filter((example) => {
      const found = stored.get(example.id);
      return found && !sameReference(found.outputs, referenceOf(example));
    })
    .map((example) => example.id);
  return { datasetId: existing.id, created: missing.length, reused: stored.size, stale };
}

/** Field by field, since a server need not keep the key order of what was uploaded. */
function sameReference(stored: Record<string, unknown> | undefined, expected: Reference): boolean {
  return (Object.keys(expected) as Array<keyof Reference>).every((key) => JSON.stringify(stored?.[key]) === JSON.stringify(expected[key]));
}
