// Reads a text/event-stream response with the research page's own reader (web/api.ts), so the HTTP
// tests exercise the parser the page uses.
import { readEvents } from '../../web/api.js';

export interface SseEvent {
  event: string;
  data: unknown;
}

class StopReading extends Error {}

/** Reads events until `stop(eventsSoFar)` holds or the stream ends; heartbeats come back as comments. */
export async function readSse(response: Response, stop: (events: SseEvent[]) => boolean = () => false): Promise<{ events: SseEvent[]; comments: string[] }> {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  try {
    await readEvents(response, {
      onEvent(event, data) {
        events.push({ event, data });
        if (stop(events)) throw new StopReading();
      },
      onComment: (text) => void comments.push(text),
    });
  } catch (error) {
    if (!(error instanceof StopReading)) throw error;
  }
  return { events, comments };
}
