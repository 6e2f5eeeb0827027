import type { LlmRequest } from '../../llm/types.js';

const madeFor = new WeakMap<object, string>();

/**
 * The JSON of content a record carries (agent inputs and outputs, a call's prompt messages), made once per
 * value and shared by the sinks that send it: LangFuse writes it as an attribute, LangSmith splices it into
 * its runs. Escaping the same few KB of text once per sink was most of the cost of a trace's run JSON.
 * Keyed by identity: records are not changed once they reach the sinks, and a redacted copy is a new
 * object, which gets its own JSON.
 */
export function contentJson(value: object): string {
  let json = madeFor.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    madeFor.set(value, json);
  }
  return json;
}

/** The JSON another sink already made for `value`, if any; nothing is made here. */
export const madeJson = (value: unknown): string | undefined => (typeof value === 'object' && value !== null ? madeFor.get(value) : undefined);

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

const messagesOf = new WeakMap<LlmRequest, ChatMessage[]>();

/** A call's prompt as chat messages, system then user: one array per request, so that its JSON is made once. */
export function promptMessages(request: LlmRequest): ChatMessage[] {
  let messages = messagesOf.get(request);
  if (!messages) {
    messages = [
      { role: 'system', content: request.system },
      { role: 'user', content: request.prompt },
    ];
    messagesOf.set(request, messages);
  }
  return messages;
}
