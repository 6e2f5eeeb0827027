import { LangfuseClient } from '@langfuse/client';
import type { PromptFile, PromptFileVersion } from './files.js';

export interface PushOutcome {
  created: number;
  /** One line per prompt version: what was done or found. */
  lines: string[];
}

export class PushError extends Error {
  override name = 'PushError';
}

type ChatMessage = { role: string; content: string };
type RemotePrompt = { version: number; labels: string[]; prompt: unknown; type: string };

const sameMessages = (remote: RemotePrompt, entry: PromptFileVersion) =>
  remote.type === 'chat' &&
  Array.isArray(remote.prompt) &&
  JSON.stringify((remote.prompt as ChatMessage[]).map(({ role, content }) => ({ role, content }))) ===
    JSON.stringify(entry.messages.map(({ role, content }) => ({ role, content })));

/**
 * Creates in LangFuse every version of the files that it does not have yet, in order, with the file's
 * labels, through the public prompts API. Versions LangFuse already has are compared with the file, never
 * changed: labels moved in LangFuse since (a promotion) stay where they are.
 */
export async function pushPrompts(client: LangfuseClient, files: Iterable<PromptFile>): Promise<PushOutcome> {
  const outcome: PushOutcome = { created: 0, lines: [] };
  for (const file of files) {
    for (const entry of file.versions) {
      const remote = await findVersion(client, file.name, entry.version);
      const id = `${file.name} v${entry.version}`;
      if (!remote) {
        const created = await client.prompt.create({
          name: file.name,
          type: 'chat',
          prompt: entry.messages,
          config: entry.config,
          labels: entry.labels,
          commitMessage: entry.commitMessage,
        });
        if (created.version !== entry.version) {
          throw new PushError(`${id}: LangFuse numbered the new version ${created.version}; versions there and in prompts/${file.name}.yaml have diverged`);
        }
        outcome.created += 1;
        outcome.lines.push(`${id}: created${entry.labels.length ? ` with labels ${entry.labels.join(', ')}` : ''}`);
        continue;
      }
      if (!sameMessages(remote, entry)) {
        throw new PushError(`${id}: LangFuse has different messages for this version; a shipped version is never edited, add a new one to prompts/${file.name}.yaml`);
      }
      const elsewhere = entry.labels.filter((label) => !remote.labels.includes(label));
      outcome.lines.push(
        `${id}: already in LangFuse` + (elsewhere.length ? ` (label ${elsewhere.join(', ')} is on another version there; left as is)` : ''),
      );
    }
  }
  return outcome;
}

async function findVersion(client: LangfuseClient, name: string, version: number): Promise<RemotePrompt | undefined> {
  try {
    return (await client.api.prompts.get(name, { version })) as RemotePrompt;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}
