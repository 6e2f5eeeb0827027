import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The repository's prompt files: the source pushed to LangFuse, and the fallback at run time. */
export const defaultPromptsDir = fileURLToPath(new URL('../../prompts', import.meta.url));

const label = z
  .string()
  .regex(/^[a-z0-9_.-]+$/, 'labels are lower-case letters, digits, "_", "." or "-"')
  .refine((value) => value !== 'latest', '"latest" is set by LangFuse on the newest version, not by a file');

const message = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().min(1),
});

/** Model parameters a version may carry; they win over LLM_TEMPERATURE and LLM_MAX_OUTPUT_TOKENS. */
export const promptConfigSchema = z.looseObject({
  temperature: z.number().min(0).max(2).optional(),
  max_output_tokens: z.number().int().min(1).max(65_536).optional(),
});

const versionSchema = z.strictObject({
  version: z.number().int().min(1),
  labels: z.array(label).default([]),
  config: promptConfigSchema.default({}),
  commitMessage: z.string().optional(),
  messages: z.array(message).min(1),
});

const fileSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a prompt name is lower-case letters, digits, "_" or "-"'),
    type: z.literal('chat'),
    versions: z.array(versionSchema).min(1),
  })
  .superRefine((file, ctx) => {
    file.versions.forEach((entry, index) => {
      if (entry.version !== index + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['versions', index, 'version'],
          message: `versions are numbered 1, 2, 3… in order (LangFuse numbers them so); expected ${index + 1}`,
        });
      }
    });
    const owners = new Map<string, number>();
    for (const entry of file.versions) {
      for (const name of entry.labels) {
        const owner = owners.get(name);
        if (owner !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['versions'], message: `label "${name}" is on versions ${owner} and ${entry.version}; a label names one version` });
        }
        owners.set(name, entry.version);
      }
    }
  });

export type PromptFile = z.infer<typeof fileSchema>;
export type PromptFileVersion = PromptFile['versions'][number];
export type PromptConfig = z.infer<typeof promptConfigSchema>;

export class PromptFileError extends Error {
  override name = 'PromptFileError';
}

/** Reads and validates one prompt file; the error names the file and every bad field. */
export function loadPromptFile(path: string): PromptFile {
  const shown = relative(process.cwd(), path) || path;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PromptFileError(`${shown}: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new PromptFileError(`${shown}: invalid prompt file\n${problems.join('\n')}`);
  }
  const expectedName = shown.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  if (parsed.data.name !== expectedName) {
    throw new PromptFileError(`${shown}: invalid prompt file\n  name: "${parsed.data.name}" must match the file name "${expectedName}"`);
  }
  return parsed.data;
}

/** Every `*.yaml`/`*.yml` prompt in `dir`, by name. */
export function loadPromptFiles(dir: string = defaultPromptsDir): Map<string, PromptFile> {
  const files = new Map<string, PromptFile>();
  for (const entry of readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort()) {
    const file = loadPromptFile(join(dir, entry));
    files.set(file.name, file);
  }
  return files;
}

/** The version a label names in a file, or undefined. */
export function versionWithLabel(file: PromptFile, wanted: string): PromptFileVersion | undefined {
  if (wanted === 'latest') return file.versions.at(-1);
  return file.versions.find((entry) => entry.labels.includes(wanted));
}
