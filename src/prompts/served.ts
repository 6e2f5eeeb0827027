import { ChatPromptClient } from '@langfuse/client';
import { promptConfigSchema, type PromptConfig, type PromptFile, type PromptFileVersion } from './files.js';

/** Which version to serve: the one a label names, or a pinned number. */
export type PromptSelector = { label: string } | { version: number };

export interface RenderedPrompt {
  system: string;
  prompt: string;
}

/** One prompt version, ready to render, with where it came from. */
export interface ServedPrompt {
  name: string;
  version: number;
  /** The label it was chosen by; null when a version is pinned. */
  label: string | null;
  /** True when LangFuse was asked and the local file's version is served instead. */
  isFallback: boolean;
  config: PromptConfig;
  render(variables: Record<string, string>): RenderedPrompt;
}

export const describeSelector = (selector: PromptSelector) =>
  'version' in selector ? `version ${selector.version}` : `label "${selector.label}"`;

export const selectorKey = (selector: PromptSelector) =>
  'version' in selector ? `version:${selector.version}` : `label:${selector.label}`;

/**
 * Wraps a prompt client (from LangFuse, or built from a file) so that both render the same way: the
 * SDK's own `compile` fills the `{{variables}}`; system messages become the system instruction and the
 * rest the user turn, which is what the model providers take.
 */
export function servePrompt(client: ChatPromptClient, selector: PromptSelector, isFallback: boolean): ServedPrompt {
  const parsedConfig = promptConfigSchema.safeParse(client.config ?? {});
  return {
    name: client.name,
    version: client.version,
    label: 'label' in selector ? selector.label : null,
    isFallback,
    // A config edited in LangFuse that does not fit is ignored rather than sent to the model.
    config: parsedConfig.success ? parsedConfig.data : {},
    render(variables) {
      const messages = client.compile(variables) as Array<{ role?: string; content?: unknown }>;
      const text = (wanted: (role: string | undefined) => boolean) =>
        messages
          .filter((message) => wanted(message.role) && typeof message.content === 'string')
          .map((message) => message.content as string)
          .join('\n\n');
      return { system: text((role) => role === 'system'), prompt: text((role) => role !== 'system') };
    },
  };
}

/** The prompt client of a file's version, shaped as LangFuse returns it. */
export function clientFromFile(file: PromptFile, entry: PromptFileVersion, isFallback: boolean): ChatPromptClient {
  return new ChatPromptClient(
    {
      name: file.name,
      version: entry.version,
      type: 'chat',
      prompt: entry.messages.map((message) => ({ ...message, type: 'chatmessage' as const })),
      config: entry.config,
      labels: entry.labels,
      tags: [],
      commitMessage: entry.commitMessage,
    },
    isFallback,
  );
}
