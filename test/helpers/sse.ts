// Reads a text/event-stream response the way a browser's fetch reader does, event by event.

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses complete `event:`/`data:` blocks; comment lines (heartbeats) are returned apart. */
export function parseSse(text: string): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter(Boolean);
    comments.push(...lines.filter((line) => line.startsWith(':')).map((line) => line.slice(1).trim()));
    const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
    const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
    if (event) events.push({ event, data: JSON.parse(data) });
  }
  return { events, comments };
}

/** Reads the body until `stop(eventsSoFar)` holds or the stream ends; returns everything read. */
export async function readSse(response: Response, stop: (events: SseEvent[]) => boolean = () => false): Promise<{ events: SseEvent[]; comments: string[] }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    if (stop(parseSse(complete).events)) break;
  }
  return parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
}
