import type { LlmClient, LlmResult, StreamOptions } from '../llm/client.js';
import type { CallControls } from '../llm/cost-controls.js';
import type { LlmRequest, PromptRef, SourcePassage } from '../llm/types.js';
import type { RunAgent } from '../telemetry/types.js';
import { getPrompt } from './prompts.js';

export interface ReasonerSettings {
  temperature: number;
  maxOutputTokens: number;
}

/** Builds the versioned prompt from the retrieved papers and asks the model for a cited answer. */
export function createReasoner(llm: LlmClient, runAgent: RunAgent, settings: ReasonerSettings) {
  /** With `stream`, the answer goes to `stream.onDelta` as the model writes it; `controls` pick the cache mode and payer. */
  return function reason(
    query: string,
    passages: SourcePassage[],
    model: string,
    promptRef: PromptRef,
    controls?: CallControls,
    stream?: StreamOptions,
  ): Promise<LlmResult> {
    return runAgent(
      { name: 'reasoner', inputs: { query, passages: passages.map((passage) => passage.id) }, metadata: { model, prompt: promptRef } },
      async (run) => {
        const template = getPrompt(promptRef);
        run.annotate({ 'llm.prompt.name': promptRef.name, 'llm.prompt.version': promptRef.version });
        const request: LlmRequest = {
          model,
          system: template.system,
          prompt: template.render(query, passages),
          promptRef,
          temperature: settings.temperature,
          maxOutputTokens: settings.maxOutputTokens,
          passages,
        };
        const result = await (stream ? llm.generateStream(request, stream, controls) : llm.generate(request, controls));
        run.setOutputs({ answer: result.text });
        return result;
      },
    );
  };
}

export type Reasoner = ReturnType<typeof createReasoner>;
