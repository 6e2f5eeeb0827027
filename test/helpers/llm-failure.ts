import { expect } from 'vitest';
import { LlmError } from '../../src/llm/errors.js';

/** The LlmError a model call fails with; the test fails if the call succeeds or throws anything else. */
export async function llmFailure(call: Promise<unknown>): Promise<LlmError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}
