import { ChatPromptClient, LangfuseClient } from '@langfuse/client';
import type { PromptSelector } from './served.js';

/** Why LangFuse could not serve a prompt: the bounded `reason` label of prompt_fallback_total. */
export type FallbackReason = 'not_found' | 'timeout' | 'unavailable' | 'invalid';

export class RemotePromptError extends Error {
  override name = 'RemotePromptError';
  constructor(
    readonly reason: FallbackReason,
    message: string,
  ) {
    super(message);
  }
}

export type FetchPrompt = (name: string, selector: PromptSelector) => Promise<ChatPromptClient>;

interface LangfuseSettings {
  publicKey: string;
  secretKey: string;
  baseUrl: string;
}

/**
 * Fetches one prompt version from LangFuse through @langfuse/client, every time, and wraps it in the SDK's
 * own ChatPromptClient. It calls the client's prompts API (`api.prompts.get`, what `prompt.get` does on a
 * cache miss) rather than `prompt.get`: that cache serves an expired entry while it refreshes, so a new
 * version took two fetches to appear (shared/notes/prompts.md), and it logs every failed fetch with a stack
 * to stderr. The prompt store caches instead, and reports failures at most once per 30 s.
 */
export function createLangfusePromptFetcher(settings: LangfuseSettings, timeoutMs: number): FetchPrompt {
  const client = new LangfuseClient({ publicKey: settings.publicKey, secretKey: settings.secretKey, baseUrl: settings.baseUrl });
  return async (name, selector) => {
    let fetched: Awaited<ReturnType<typeof client.api.prompts.get>>;
    try {
      fetched = await client.api.prompts.get(name, selector, { maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 });
    } catch (error) {
      throw classify(error);
    }
    if (fetched.type !== 'chat') throw new RemotePromptError('invalid', `LangFuse prompt ${name} is a ${fetched.type} prompt, not a chat prompt`);
    return new ChatPromptClient(fetched);
  };
}

function classify(error: unknown): RemotePromptError {
  const { statusCode, name, body } = error as { statusCode?: number; name?: string; body?: { message?: unknown } };
  // The SDK's message spreads the whole response over several lines; the server's own message is enough.
  const message = typeof body?.message === 'string' ? body.message : (error as Error).message;
  if (statusCode === 404) return new RemotePromptError('not_found', message ?? 'not found');
  if (name === 'LangfuseAPITimeoutError' || /timeout/i.test(message ?? '')) return new RemotePromptError('timeout', message ?? 'timed out');
  return new RemotePromptError('unavailable', statusCode ? `HTTP ${statusCode}: ${message ?? ''}` : (message ?? String(error)));
}
