import type { Config } from '../config/index.js';
import { loadPromptFiles, type PromptFile } from './files.js';
import { createLangfusePromptFetcher } from './remote.js';
import type { PromptSelector, ServedPrompt } from './served.js';
import { createPromptStore, type PromptStore, type PromptStoreHooks } from './store.js';
import { assignVariant, experimentName } from './variants.js';

export const researchPromptName = 'research-answer';

export interface PromptChoice {
  prompt: ServedPrompt;
  /** Set when versions are chosen by label: the experiment (prompt and split) and the variant drawn. */
  experiment?: string;
  variant?: string;
}

/** The selectors the service serves: one pinned version, else one per variant label. */
export function promptSelectors(settings: Config['prompts']): PromptSelector[] {
  return settings.version !== undefined ? [{ version: settings.version }] : settings.variants.map(({ label }) => ({ label }));
}

/** The research prompt's store: LangFuse first when its keys are set, the file otherwise and as fallback. */
export function createResearchPromptStore(config: Config, hooks: PromptStoreHooks, file?: PromptFile): PromptStore {
  const promptFile = file ?? loadPromptFiles().get(researchPromptName);
  if (!promptFile) throw new Error(`prompts/${researchPromptName}.yaml is missing`);
  const langfuse = config.telemetry.langfuse;
  return createPromptStore({
    file: promptFile,
    selectors: promptSelectors(config.prompts),
    fetchPrompt: langfuse ? createLangfusePromptFetcher(langfuse, config.telemetry.exportTimeoutMs) : undefined,
    cacheTtlSeconds: config.prompts.cacheTtlSeconds,
    hooks,
  });
}

/** Picks the version for one request: the pinned one, or the sticky variant of the user (else session). */
export function createPromptChooser(store: PromptStore, settings: Config['prompts']) {
  const experiment = experimentName(researchPromptName, settings.variants);
  return (ids: { userId?: string; sessionId?: string }): PromptChoice => {
    if (settings.version !== undefined) return { prompt: store.get({ version: settings.version }) };
    const variant = assignVariant(settings.variants, researchPromptName, ids.userId ?? ids.sessionId);
    return { prompt: store.get({ label: variant.label }), experiment, variant: variant.label };
  };
}

export type ChoosePrompt = ReturnType<typeof createPromptChooser>;
export type { ServedPrompt } from './served.js';
