import type { LlmClient, LlmResult, StreamOptions } from '../llm/client.js';
import type { CallControls } from '../llm/cost-controls.js';
import type { LlmRequest, SourcePassage } from '../llm/types.js';
import type { ServedPrompt } from '../prompts/index.js';
import type { RunAgent } from '../telemetry/types.js';

export interface ReasonerSettings {
  temperature: number;
  maxOutputTokens: number;
}

const numbered = (passages: SourcePassage[]) =>
  passages.map((passage, index) => `[${index + 1}] ${passage.title} (${passage.year})\n${passage.summary}`).join('\n\n');

/** The `{{variables}}` every version of the research prompt may use. */
export const promptVariables = (query: string, passages: SourcePassage[]) => ({
  query,
  documents: numbered(passages),
  document_count: String(passages.length),
});

/** Fills the served prompt version with the retrieved papers and asks the model for a cited answer. */
export function createReasoner(llm: LlmClient, runAgent: RunAgent, settings: ReasonerSettings) {
  /** With `stream`, the answer goes to `stream.onDelta` as the model writes it. */
  return function reason(
    query: string,
    passages: SourcePassage[],
    model: string,
    prompt: ServedPrompt,
    controls?: CallControls,
    stream?: StreamOptions,
  ): Promise<LlmResult> {
    const promptRef = { name: prompt.name, version: prompt.version, isFallback: prompt.isFallback };
    return runAgent(
      { name: 'reasoner', inputs: { query, passages: passages.map((passage) => passage.id) }, metadata: { model, prompt: promptRef } },
      async (run) => {
        const { system, prompt: text } = prompt.render(promptVariables(query, passages));
        run.annotate({ 'llm.prompt.name': prompt.name, 'llm.prompt.version': prompt.version });
        const request: LlmRequest = {
          model,
          system,
          prompt: text,
          promptRef,
          // A version's own model parameters travel with it, so comparing versions compares them too.
          temperature: prompt.config.temperature ?? settings.temperature,
          maxOutputTokens: prompt.config.max_output_tokens ?? settings.maxOutputTokens,
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
