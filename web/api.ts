// Talks to the service: the streamed answer (SSE over a POST, read with fetch), feedback, UI settings.

export interface ErrorBody {
  error: string;
  message: string;
  details?: Array<{ field: string; message: string }>;
  trace_id?: string;
}

/**
 * A request the service refused or failed, with what the page needs to explain it. `status` is
 * undefined for a failure reported by the stream's `error` event, after the answer had started.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly body: ErrorBody,
    readonly retryAfterSeconds?: number,
  ) {
    super(body.message);
  }
}

export interface UiSettings {
  provider: 'gemini' | 'offline';
  auth_required: boolean;
  links: Partial<Record<'jaeger' | 'langfuse' | 'grafana', string>>;
}

export interface StreamHandlers {
  onEvent(event: string, data: unknown): void;
  /** SSE comments: the service's heartbeats. */
  onComment?(text: string): void;
}

async function refusal(response: Response): Promise<ServiceError> {
  const retryAfter = Number(response.headers.get('retry-after'));
  let body: ErrorBody;
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    body = { error: 'http_error', message: `the service answered ${response.status} ${response.statusText}` };
  }
  return new ServiceError(response.status, body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

/** Posts JSON; resolves with the response when it is 2xx, else throws a ServiceError. */
export async function postJson(path: string, body: unknown, apiKey: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), signal });
  if (!response.ok) throw await refusal(response);
  return response;
}

/** Reads `event:`/`data:` blocks as they arrive, until the stream ends or a handler throws. */
export async function readEvents(response: Response, handlers: StreamHandlers): Promise<void> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split('\n');
      for (const line of lines) if (line.startsWith(':')) handlers.onComment?.(line.slice(1).trim());
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
      if (event) handlers.onEvent(event, JSON.parse(data));
    }
  }
}

export async function loadSettings(): Promise<UiSettings> {
  const response = await fetch('/ui-config.json');
  if (!response.ok) throw await refusal(response);
  return (await response.json()) as UiSettings;
}
