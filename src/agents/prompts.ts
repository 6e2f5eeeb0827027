import type { PromptRef, SourcePassage } from '../llm/types.js';

interface PromptTemplate {
  system: string;
  render(query: string, passages: SourcePassage[]): string;
}

const numbered = (passages: SourcePassage[]) =>
  passages.map((passage, index) => `[${index + 1}] ${passage.title} (${passage.year})\n${passage.summary}`).join('\n\n');

/**
 * Versioned prompt templates. A version is never edited once shipped: a change is a new version, so
 * LangFuse, LangSmith and the cost-by-prompt-version panel can compare them.
 */
export const promptTemplates: Record<string, Record<number, PromptTemplate>> = {
  'research-answer': {
    1: {
      system: 'You are a research assistant helping with academic research.',
      render: (query, passages) =>
        `Query: ${query}\n\nRetrieved documents (${passages.length}):\n${numbered(passages)}\n\nProvide a comprehensive answer based on the above context.`,
    },
    2: {
      system:
        'You are a research assistant. Answer only from the numbered papers provided, cite each claim as [n], and say so when the papers do not answer the question.',
      render: (query, passages) =>
        `Papers:\n${numbered(passages)}\n\nQuestion: ${query}\n\nWrite a concise answer (at most 200 words) that cites the papers it uses as [n].`,
    },
  },
};

export const defaultPromptName = 'research-answer';

export class UnknownPromptError extends Error {
  override name = 'UnknownPromptError';
}

export function getPrompt(ref: PromptRef): PromptTemplate {
  const template = promptTemplates[ref.name]?.[ref.version];
  if (!template) {
    const known = Object.entries(promptTemplates).flatMap(([name, versions]) => Object.keys(versions).map((v) => `${name}@${v}`));
    throw new UnknownPromptError(`unknown prompt ${ref.name}@${ref.version}; known: ${known.join(', ')}`);
  }
  return template;
}
