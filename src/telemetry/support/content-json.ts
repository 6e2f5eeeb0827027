import type { LlmRequest } from '../../llm/types.js';

/**
 * The JSON of content a record carries (agent inputs and outputs, a call's prompt messages), made once and
 * shared by the two sinks that send it: LangFuse writes it as an attribute during the request, LangSmith
 * splices it into its runs once the trace has ended. Escaping the same few KB of text once per sink was
 * most of the cost of a trace's run JSON.
 */
export interface ContentJson {
  /** The value's JSON, kept for LangSmith when both sinks are on. */
  json(value: object): string;
  /**
   * The JSON made for `value`, if any, and forgotten: each is read once, and a JSON kept until the
   * collector dropped its key held the text in the old generation (every sink hanging grew the RSS by
   * about 20 MB more).
   */
  take(value: unknown): string | undefined;
}

/**
 * Shares JSON when both LangFuse and LangSmith are on; otherwise each value is stringified by the one sink
 * that sends it and nothing is kept. Keyed by identity: records are not changed once they reach the sinks,
 * and a redacted copy is a new object, which gets its own JSON.
 */
export function createContentJson(share: boolean): ContentJson {
  if (!share) return { json: (value) => JSON.stringify(value), take: () => undefined };
  const made = new WeakMap<object, string>();
  return {
    json(value) {
      let json = made.get(value);
      if (json === undefined) {
        json = JSON.stringify(value);
        made.set(value, json);
      }
      return json;
    },
    take(value) {
      if (typeof value !== 'object' || value === null) return undefined;
      const json = made.get(value);
      made.delete(value);
      return json;
    },
  };
}

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
