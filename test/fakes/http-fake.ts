// Shared plumbing for the local service fakes: one node:http server per fake with a request log,
// gzip-aware body reading, JSON replies, a runtime fault switch and a polling helper.
// No vitest imports: the benchmark and the end-to-end script use these fakes too.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/**
 * `ok` serves normally; `fail` answers every request with the service's HTTP 500;
 * `hang` reads the request and never answers; `down` stops listening (connection refused).
 */
export type FakeMode = 'ok' | 'fail' | 'hang' | 'down';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Body bytes after Content-Encoding was undone. */
  raw: Buffer;
  /** `raw` as UTF-8 text. */
  body: string;
  /** Status of the reply; undefined while the request hangs. */
  status?: number;
}

export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface HttpFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  handle: FakeHandler;
  /** Writes the service-shaped HTTP 500 used by mode `fail`. */
  fail?: (res: ServerResponse) => void;
  /** Clears the fake's own state on `reset()`. */
  onReset?: () => void;
}

export interface HttpFake {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly mode: FakeMode;
  readonly requests: RecordedRequest[];
  /** Resolves once the new mode is in effect (for `down`/back: once the port is closed/listening). */
  setMode(mode: FakeMode): Promise<void>;
  /** Forgets recorded requests and fake state; keeps the mode. */
  reset(): void;
  /** In mode `ok`, answers requests whose path starts with `pathPrefix` only after `ms` (0: at once). */
  setDelay(ms: number, pathPrefix?: string): void;
  /** Stops listening and destroys open sockets, including hanging requests. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const SOCKET_SETTLE_MS = 20;

export async function startHttpFake(options: HttpFakeOptions): Promise<HttpFake> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const fail = options.fail ?? ((res: ServerResponse) => sendJson(res, 500, { error: 'internal error' }));
  let mode: FakeMode = 'ok';
  let listening = false;
  let delay = { ms: 0, pathPrefix: '/' };

  const server = createServer((incoming, res) => {
    void serve(incoming, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function serve(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', `http://${HOST}`);
    let raw: Buffer;
    try {
      raw = decodeBody(await readAll(incoming), incoming.headers['content-encoding']);
    } catch (error) {
      sendJson(res, 400, { error: `cannot decode request body: ${(error as Error).message}` });
      return;
    }
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      raw,
      body: raw.toString('utf8'),
    };
    requests.push(request);
    res.once('finish', () => {
      request.status = res.statusCode;
    });

    if (mode === 'hang') return;
    if (mode === 'fail') {
      fail(res);
      return;
    }
    if (delay.ms > 0 && request.path.startsWith(delay.pathPrefix)) await new Promise((resolve) => setTimeout(resolve, delay.ms));
    try {
      await options.handle(request, res);
    } catch (error) {
      // A bug in a fake should show up as a loud 500, not as a hung test.
      if (!res.headersSent) sendJson(res, 500, { error: `fake crashed: ${(error as Error).stack}` });
      else res.destroy();
    }
  }

  function listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  }

  async function stopListening(): Promise<void> {
    if (!listening) return;
    listening = false;
    const hadSockets = sockets.size > 0;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive and hanging sockets would otherwise keep close() waiting forever.
      for (const socket of sockets) socket.destroy();
    });
    // Give in-process clients a moment to see their pooled sockets close; otherwise the next
    // request after `down` → `ok` may reuse a dead keep-alive socket and fail with ECONNRESET.
    if (hadSockets) await new Promise((resolve) => setTimeout(resolve, SOCKET_SETTLE_MS));
  }

  await listen(options.port ?? 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake server has no TCP address');
  const port = address.port;

  return {
    url: `http://${HOST}:${port}`,
    port,
    get mode() {
      return mode;
    },
    requests,
    async setMode(next) {
      const previous = mode;
      mode = next;
      if (next === 'down' && previous !== 'down') await stopListening();
      // Same port on purpose: clients configured with the old URL must reconnect.
      if (next !== 'down' && previous === 'down') await listen(port);
    },
    setDelay(ms, pathPrefix = '/') {
      delay = { ms, pathPrefix };
    },
    reset() {
      requests.length = 0;
      options.onReset?.();
    },
    close: stopListening,
  };
}

function readAll(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === undefined || encoding === 'identity' || body.length === 0) return body;
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  throw new Error(`unsupported Content-Encoding ${encoding}`);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Parses a JSON request body; undefined when it is not valid JSON. */
export function parseJson<T = unknown>(req: RecordedRequest): T | undefined {
  try {
    return JSON.parse(req.body) as T;
  } catch {
    return undefined;
  }
}

/**
 * Polls `read` until `done(value)` holds, then resolves with that value.
 * On timeout rejects with `describe(lastValue)` so a failing test shows what did arrive.
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  describe: (last: T) => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
