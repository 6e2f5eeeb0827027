import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const paperSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  authors: z.array(z.string().min(1)).min(1),
  year: z.number().int().min(1900).max(2100),
  url: z.url(),
  arxiv_id: z.string().nullable().optional(),
  topics: z.array(z.string()).default([]),
  summary: z.string().min(1),
});

export type Paper = z.infer<typeof paperSchema>;

export const defaultCorpusPath = fileURLToPath(new URL('../../data/papers.jsonl', import.meta.url));

export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** Loads a JSONL corpus; a bad line is reported with its file and line number rather than skipped. */
export function loadCorpus(path: string = defaultCorpusPath): Paper[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CorpusError(`cannot read corpus ${path}: ${(error as Error).message}`);
  }
  const papers: Paper[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const where = `${path}:${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new CorpusError(`${where}: not valid JSON (${(error as Error).message})`);
    }
    const parsed = paperSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`);
      throw new CorpusError(`${where}: ${fields.join('; ')}`);
    }
    if (seen.has(parsed.data.id)) throw new CorpusError(`${where}: duplicate paper id "${parsed.data.id}"`);
    seen.add(parsed.data.id);
    papers.push(parsed.data);
  });
  if (papers.length === 0) throw new CorpusError(`${path}: corpus is empty`);
  return papers;
}
