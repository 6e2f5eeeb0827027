import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import pRetry from 'p-retry';

export interface RunBatchTransportOptions {
  endpoint: string;
  apiKey: string;
  /** Per attempt. A timed-out request is not retried: the endpoint is hanging, not failing. */
  timeoutMs: number;
  retries?: number;
  /** Sockets kept open to the endpoint; one per concurrent post is enough. */
  maxSockets?: number;
}

/** The statuses the langsmith SDK retries too; anything else in 4xx means the batch itself is wrong. */
const retryableStatuses = new Set([408, 425, 429, 500, 502, 503, 504]);

class HttpStatusError extends Error {
  constructor(readonly status: number, detail: string) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * Posts JSON run batches to LangSmith's `POST /runs/batch`, the ingestion endpoint the SDK itself falls
 * back to. node:http with keep-alive: measured at about half the CPU of the SDK's fetch-based upload for
 * the same bytes (the web-streams copy of the body and the replacer-driven stringify are gone).
 */
export function createRunBatchTransport(options: RunBatchTransportOptions) {
  const url = new URL(`${options.endpoint.replace(/\/$/, '')}/runs/batch`);
  const secure = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 2 };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;

  function attempt(body: Buffer, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          agent,
          signal,
          timeout: options.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            accept: 'application/json',
            'x-api-key': options.apiKey,
            'user-agent': 'researcherai-langsmith-observer',
          },
        },
        (response) => settle(response, resolve, reject),
      );
      request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      request.on('error', reject);
      request.end(body);
    });
  }

  return {
    /** Resolves once LangSmith accepted the batch; rejects after the retries, or at once when aborted. */
    post(json: string, signal: AbortSignal): Promise<void> {
      const body = Buffer.from(json);
      return pRetry(() => attempt(body, signal), {
        retries: options.retries ?? 2,
        minTimeout: 1000,
        factor: 2,
        randomize: true,
        signal,
        shouldRetry: ({ error }) =>
          error instanceof HttpStatusError ? retryableStatuses.has(error.status) : (error as { code?: string }).code !== 'ETIMEDOUT',
      });
    },
    close: () => agent.destroy(),
  };
}

function settle(response: IncomingMessage, resolve: () => void, reject: (error: Error) => void) {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) {
    response.resume();
    response.on('end', resolve);
    response.on('error', reject);
    return;
  }
  let detail = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    if (detail.length < 300) detail += chunk;
  });
  response.on('end', () => reject(new HttpStatusError(status, detail.slice(0, 300))));
  response.on('error', reject);
}
