// Fake Loki push endpoint, run as a child process by loki.ts: a pino transport whose receiver lives
// in the same process deadlocks at end() (thread-stream blocks the main thread with Atomics.wait).
// Usage: node --import tsx test/fakes/loki-server.ts [port]
// Prints {"port":…,"controlPort":…} on stdout once listening. The control server stays up in every
// fault mode, so the parent can still switch `down` back to `ok` and read what arrived.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseJson, sendJson, sendText, startHttpFake, type FakeMode, type RecordedRequest } from './http-fake.js';

export interface LokiEntry {
  labels: Record<string, string>;
  /** Nanoseconds since epoch, as sent (a decimal string). */
  ts: string;
  line: string;
  /** Structured metadata (third tuple element); empty when absent. */
  metadata: Record<string, string>;
}

/** A recorded push request, JSON-serialisable for the trip to the parent process. */
export interface LokiRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status?: number;
}

export interface LokiPorts {
  port: number;
  controlPort: number;
}

interface PushRequest {
  streams?: Array<{ stream?: Record<string, unknown>; values?: unknown[] }>;
}

const MODES: readonly FakeMode[] = ['ok', 'fail', 'hang', 'down'];

export async function startLokiServers(port = 0): Promise<LokiPorts & { close(): Promise<void> }> {
  const entries: LokiEntry[] = [];

  function handlePush(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'GET' && req.path === '/ready') {
      sendText(res, 200, 'ready\n');
      return;
    }
    if (req.method !== 'POST' || req.path !== '/loki/api/v1/push') {
      sendText(res, 404, '404 page not found\n');
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      // Real Loki would expect snappy protobuf here; the fake only speaks JSON.
      sendText(res, 415, `unsupported Content-Type ${req.headers['content-type'] ?? '(none)'}\n`);
      return;
    }
    const parsed = parsePush(req);
    if (typeof parsed === 'string') {
      sendText(res, 400, `${parsed}\n`);
      return;
    }
    entries.push(...parsed);
    res.writeHead(204).end();
  }

  const push = await startHttpFake({
    port,
    handle: handlePush,
    fail: (res) => sendText(res, 500, 'rpc error: code = Internal desc = fake failure\n'),
    onReset: () => void (entries.length = 0),
  });

  const control = await startHttpFake({
    handle: async (req, res) => {
      const route = `${req.method} ${req.path}`;
      if (route === 'GET /_fake/entries') return sendJson(res, 200, entries);
      if (route === 'GET /_fake/requests') return sendJson(res, 200, push.requests.map(serializeRequest));
      if (route === 'POST /_fake/reset') {
        push.reset();
        return void res.writeHead(204).end();
      }
      if (route === 'POST /_fake/mode') {
        const mode = parseJson<{ mode?: FakeMode }>(req)?.mode;
        if (mode === undefined || !MODES.includes(mode)) return sendJson(res, 400, { error: `unknown mode ${String(mode)}` });
        await push.setMode(mode);
        return void res.writeHead(204).end();
      }
      sendJson(res, 404, { error: `no control route ${route}` });
    },
  });

  return {
    port: push.port,
    controlPort: control.port,
    close: async () => {
      await Promise.all([push.close(), control.close()]);
    },
  };
}

/** Returns the flattened entries, or Loki's 400 message when any value is invalid (nothing is stored then). */
function parsePush(req: RecordedRequest): LokiEntry[] | string {
  const body = parseJson<PushRequest>(req);
  if (body === undefined || !Array.isArray(body.streams)) return 'error parsing push request: invalid JSON body';
  const entries: LokiEntry[] = [];
  for (const stream of body.streams) {
    const labels = stringRecord(stream.stream);
    if (labels === undefined) return 'error parsing labels: label values must be strings';
    for (const value of stream.values ?? []) {
      if (!Array.isArray(value) || value.length < 2) return 'error parsing push request: each value must be [ts, line, metadata?]';
      const [ts, line, metadata] = value as [unknown, unknown, unknown];
      if (typeof ts !== 'string' || !/^\d+$/.test(ts)) {
        const quoted = JSON.stringify(String(ts));
        return `loghttp.PushRequest.Streams: []*loghttp.Stream: unmarshalerDecoder: strconv.ParseInt: parsing ${quoted}: invalid syntax`;
      }
      if (typeof line !== 'string') return 'error parsing push request: log line must be a string';
      const structured = metadata === undefined ? {} : stringRecord(metadata);
      if (structured === undefined) return 'error parsing structured metadata: values must be strings';
      entries.push({ labels, ts, line, metadata: structured });
    }
  }
  return entries;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, v]) => typeof v === 'string') ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}

function serializeRequest(req: RecordedRequest): LokiRequest {
  return { method: req.method, path: req.path, headers: req.headers, body: req.body, status: req.status };
}

async function main(): Promise<void> {
  const servers = await startLokiServers(Number(process.argv[2] ?? 0));
  const shutdown = () => void servers.close().finally(() => process.exit(0));
  // The parent holds our stdin open; when it goes away (even by crashing) we go too.
  process.stdin.on('end', shutdown);
  process.stdin.resume();
  process.on('SIGTERM', shutdown);
  process.stdout.write(`${JSON.stringify({ port: servers.port, controlPort: servers.controlPort } satisfies LokiPorts)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
