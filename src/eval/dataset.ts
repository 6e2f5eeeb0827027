import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const exampleSchema = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  /** Phrases a good answer contains, matched case-insensitively. */
  expected_topics: z.array(z.string().min(1)).min(1),
  /** Corpus papers the retriever should rank among the top k. */
  expected_paper_ids: z.array(z.string().min(1)).min(1),
});

const datasetSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    examples: z.array(exampleSchema).min(1),
  })
  .refine((dataset) => new Set(dataset.examples.map((example) => example.id)).size === dataset.examples.length, {
    message: 'example ids must be unique',
  });

export type EvalExample = z.infer<typeof exampleSchema>;
export type EvalDataset = z.infer<typeof datasetSchema>;
/** What an evaluator compares an answer with: the example minus its id and query. */
export type Reference = Pick<EvalExample, 'expected_topics' | 'expected_paper_ids'>;

export const defaultDatasetPath = fileURLToPath(new URL('../../data/eval/research-queries.json', import.meta.url));

export function loadEvalDataset(path: string = defaultDatasetPath): EvalDataset {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the eval dataset ${path}: ${(error as Error).message}`);
  }
  const parsed = datasetSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`invalid eval dataset ${path}:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export const referenceOf = ({ expected_topics, expected_paper_ids }: EvalExample): Reference => ({ expected_topics, expected_paper_ids });
