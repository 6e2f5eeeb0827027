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
 * Fetches one prompt version from LangFuse through @langfuse/client, every time. The SDK's own cache is
 * bypassed (`cacheTtlSeconds: 0`) because it serves an expired entry while it refreshes, so a new version
 * would take two fetches to appear (shared/notes/prompts.md); the prompt store caches instead.
 */
export function createLangfusePromptFetcher(settings: LangfuseSettings, timeoutMs: number): FetchPrompt {
  const client = new LangfuseClient({ publicKey: settings.publicKey, secretKey: settings.secretKey, baseUrl: settings.baseUrl });
  return async (name, selector) => {
    let fetched: unknown;
    try {
      fetched = await client.prompt.get(name, {
        ...selector,
        type: 'chat',
        cacheTtlSeconds: 0,
        maxRetries: 0,
        fetchTimeoutMs: timeoutMs,
      });
    } catch (error) {
      throw classify(error);
    }
    if (!(fetched instanceof ChatPromptClient)) throw new RemotePromptError('invalid', `LangFuse prompt ${name} is not a chat prompt`);
    return fetched;
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
