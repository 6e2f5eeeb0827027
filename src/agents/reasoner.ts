import type { LlmClient, LlmResult } from '../llm/client.js';
import type { CallControls } from '../llm/cost-controls.js';
import type { PromptRef, SourcePassage } from '../llm/types.js';
import type { RunAgent } from '../telemetry/types.js';
import { getPrompt } from './prompts.js';

export interface ReasonerSettings {
  temperature: number;
  maxOutputTokens: number;
}

/** Builds the versioned prompt from the retrieved papers and asks the model for a cited answer. */
export function createReasoner(llm: LlmClient, runAgent: RunAgent, settings: ReasonerSettings) {
  return function reason(query: string, passages: SourcePassage[], model: string, promptRef: PromptRef, controls?: CallControls): Promise<LlmResult> {
    return runAgent(
      { name: 'reasoner', inputs: { query, passages: passages.map((passage) => passage.id) }, metadata: { model, prompt: promptRef } },
      async (run) => {
        const template = getPrompt(promptRef);
        run.annotate({ 'llm.prompt.name': promptRef.name, 'llm.prompt.version': promptRef.version });
        const result = await llm.generate({
          model,
          system: template.system,
          prompt: template.render(query, passages),
          promptRef,
          temperature: settings.temperature,
          maxOutputTokens: settings.maxOutputTokens,
          passages,
        }, controls);
        run.setOutputs({ answer: result.text });
        return result;
      },
    );
  };
}

export type Reasoner = ReturnType<typeof createReasoner>;
