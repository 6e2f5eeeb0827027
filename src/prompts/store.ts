import type { PromptFile } from './files.js';
import { versionWithLabel } from './files.js';
import { RemotePromptError, type FallbackReason, type FetchPrompt } from './remote.js';
import { clientFromFile, describeSelector, selectorKey, servePrompt, type PromptSelector, type ServedPrompt } from './served.js';

export interface PromptStoreHooks {
  /** A request was served the local version because LangFuse could not serve it. */
  fallbackServed(reason: FallbackReason): void;
  /** LangFuse failed; called at most once per `warnIntervalMs`, with how many failures were held back. */
  warn(fields: Record<string, unknown>, message: string): void;
  /** A selector now serves this version (at start-up, or a new one after a refresh). */
  loaded?(prompt: ServedPrompt): void;
}

export interface PromptStoreOptions {
  file: PromptFile;
  selectors: readonly PromptSelector[];
  /** Undefined without LangFuse keys: the file alone serves. */
  fetchPrompt?: FetchPrompt;
  cacheTtlSeconds: number;
  hooks: PromptStoreHooks;
  warnIntervalMs?: number;
}

export class PromptNotFoundError extends Error {
  override name = 'PromptNotFoundError';
}

interface Entry {
  served: ServedPrompt;
  reason?: FallbackReason;
}

/**
 * Holds the prompt versions the service may serve, one per selector (label or pinned version). They are
 * fetched before the app is ready and refreshed every `cacheTtlSeconds` in the background, so a request
 * only ever reads memory. When LangFuse cannot serve a selector, the file's version of it is served and
 * marked as a fallback.
 */
export function createPromptStore({ file, selectors, fetchPrompt, cacheTtlSeconds, hooks, warnIntervalMs = 30_000 }: PromptStoreOptions) {
  const entries = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let lastWarnAt = -Infinity;
  let heldBack = 0;

  const remember = (key: string, entry: Entry) => {
    if (entries.get(key)?.served.version !== entry.served.version) hooks.loaded?.(entry.served);
    entries.set(key, entry);
  };

  const local = (selector: PromptSelector, isFallback: boolean): ServedPrompt | undefined => {
    const entry = 'version' in selector ? file.versions[selector.version - 1] : versionWithLabel(file, selector.label);
    return entry && servePrompt(clientFromFile(file, entry, isFallback), selector, isFallback);
  };

  function warnOnce(fields: Record<string, unknown>, message: string) {
    const now = Date.now();
    if (now - lastWarnAt < warnIntervalMs) {
      heldBack += 1;
      return;
    }
    hooks.warn({ ...fields, ...(heldBack ? { failures_held_back: heldBack } : {}) }, message);
    lastWarnAt = now;
    heldBack = 0;
  }

  /** Resolves one selector; returns a problem description when it exists nowhere. */
  async function load(selector: PromptSelector): Promise<string | undefined> {
    const key = selectorKey(selector);
    if (!fetchPrompt) {
      const served = local(selector, false);
      if (!served) return `${describeSelector(selector)} is not in prompts/${file.name}.yaml`;
      remember(key, { served });
      return undefined;
    }
    try {
      remember(key, { served: servePrompt(await fetchPrompt(file.name, selector), selector, false) });
      return undefined;
    } catch (error) {
      const reason = error instanceof RemotePromptError ? error.reason : 'unavailable';
      const message = (error as Error).message;
      const served = local(selector, true);
      if (served) {
        remember(key, { served, reason });
        warnOnce(
          { event: 'prompt_fallback', prompt: file.name, selector: key, reason, error: message, fallback_version: served.version },
          'LangFuse could not serve the prompt; serving the local version',
        );
        return undefined;
      }
      // Keep serving what LangFuse last gave, if anything: it is the best version known.
      if (entries.has(key)) {
        warnOnce({ event: 'prompt_refresh_failed', prompt: file.name, selector: key, reason, error: message }, 'prompt refresh failed; serving the last fetched version');
        return undefined;
      }
      return `${describeSelector(selector)} exists neither in LangFuse (${reason}: ${message}) nor in prompts/${file.name}.yaml`;
    }
  }

  async function refresh(): Promise<string[]> {
    const problems = await Promise.all(selectors.map(load));
    return problems.filter((problem): problem is string => problem !== undefined);
  }

  return {
    /** Loads every selector once; throws naming each one that exists nowhere. Then refreshes in the background. */
    async start(): Promise<void> {
      const problems = await refresh();
      if (problems.length > 0) throw new PromptNotFoundError(`prompt ${file.name}: ${problems.join('; ')}`);
      if (fetchPrompt) {
        timer = setInterval(() => {
          refreshing ??= refresh().then(
            () => undefined,
            () => undefined,
          ).finally(() => {
            refreshing = undefined;
          });
        }, cacheTtlSeconds * 1000);
        timer.unref();
      }
    },
    get ready(): boolean {
      return selectors.every((selector) => entries.has(selectorKey(selector)));
    },
    /** The version to serve now, from memory. Counts a fallback each time one is served. */
    get(selector: PromptSelector): ServedPrompt {
      const entry = entries.get(selectorKey(selector));
      if (!entry) throw new PromptNotFoundError(`prompt ${file.name}: ${describeSelector(selector)} was not loaded`);
      if (entry.reason) hooks.fallbackServed(entry.reason);
      return entry.served;
    },
    /** Resolves when the background refresh in flight (if any) has finished. */
    settled(): Promise<void> {
      return refreshing ?? Promise.resolve();
    },
    close(): void {
      clearInterval(timer);
    },
  };
}

export type PromptStore = ReturnType<typeof createPromptStore>;
