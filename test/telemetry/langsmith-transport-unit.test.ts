import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatchRuns, serializeRuns } from '../../src/telemetry/sinks/langsmith/multipart.js';
import { createRunIngestTransport } from '../../src/telemetry/sinks/langsmith/transport.js';
import { answerThenBreakOff } from '../helpers/broken-answer.js';
import { startFirstByteServer } from '../helpers/first-byte-server.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

/** A bare HTTP server whose answers each test decides, recording every request and connection. */
async function startEndpoint(answer: (response: ServerResponse, seen: Seen) => void) {
  const requests: Seen[] = [];
  const connections: string[] = [];
  const closedConnections: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const seen = { path: request.url ?? '', headers: request.headers };
      requests.push(seen);
      answer(response, seen);
    });
  });
  server.on('connection', (socket) => {
    const id = `${socket.remotePort}`;
    connections.push(id);
    socket.on('close', () => closedConnections.push(id));
  });
  // Idle sockets stay open until the client closes them, so that only close() can end them.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { url, requests, connections, closedConnections };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const runs = serializeRuns([{ id: '01a219e4-62d8-7d6e-ba3e-83dfe11b270e', name: 'orchestrator', run_type: 'chain', inputs: {} }]);
const post = (transport: ReturnType<typeof createRunIngestTransport>) => transport.post(runs, transport.encode(runs), new AbortController().signal);
const failure = (transport: ReturnType<typeof createRunIngestTransport>) =>
  post(transport).then(
    () => 'accepted',
    (error: unknown) => (error as Error).message,
  );

describe('run ingest transport, status and error shapes', () => {
  it('accepts 200 and 299, and sends the accept, user-agent and API key headers', async () => {
    const statuses = [200, 299];
    const endpoint = await startEndpoint((response) => response.writeHead(statuses.shift()!).end('{}'));
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'key-1', timeoutMs: 2000, retries: 0 });
    await post(transport);
    await post(transport);
    expect(endpoint.requests.map((request) => request.path)).toEqual(['/runs/multipart', '/runs/multipart']);
    expect(endpoint.requests[0]?.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'researcherai-langsmith-observer', 'x-api-key': 'key-1' });
    transport.close();
  });

  it('rejects 300 with the status and the body', async () => {
    const endpoint = await startEndpoint((response) => response.writeHead(300).end('moved'));
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 0 });
    expect(await failure(transport)).toBe('HTTP 300: moved');
    transport.close();
  });

  it('names only the status when the error body is empty, and neither retries a 400 nor falls back', async () => {
    const endpoint = await startEndpoint((response) => response.writeHead(400).end());
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 1 });
    expect(await failure(transport)).toBe('HTTP 400');
    expect(endpoint.requests.map((request) => request.path)).toEqual(['/runs/multipart']);
    expect(transport.encode(runs).path).toBe('multipart');
    transport.close();
  });

  it('rejects an answer that breaks off mid-body, accepted or not', async () => {
    for (const status of [200, 500]) {
      const endpoint = await startEndpoint((response) => answerThenBreakOff(response, status));
      const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 0 });
      expect(await failure(transport)).toBe('aborted');
      transport.close();
    }
  });

  it('keeps the first 300 characters of a long error body', async () => {
    const body = 'é'.repeat(200) + 'x'.repeat(800);
    const endpoint = await startEndpoint((response) => response.writeHead(422).end(body));
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 0 });
    expect(await failure(transport)).toBe(`HTTP 422: ${body.slice(0, 300)}`);
    transport.close();
  });
});

describe('run ingest transport, retries and fallback', () => {
  it('retries a reset connection and a 503 twice by default, then gives up with the last status', async () => {
    let answered = 0;
    const endpoint = await startEndpoint((response) => {
      answered += 1;
      if (answered === 1) response.socket?.destroy();
      else response.writeHead(503).end('busy');
    });
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000 });
    expect(await failure(transport)).toBe('HTTP 503: busy');
    expect(endpoint.requests).toHaveLength(3);
    transport.close();
  });

  it('rejects a 404 from /runs/batch after the fallback, without posting there again', async () => {
    const endpoint = await startEndpoint((response) => response.writeHead(404).end());
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 0 });
    expect(await failure(transport)).toBe('HTTP 404');
    expect(transport.encode(runs).path).toBe('batch');
    expect(await failure(transport)).toBe('HTTP 404');
    expect(endpoint.requests.map((request) => request.path)).toEqual(['/runs/multipart', '/runs/batch', '/runs/batch']);
    transport.close();
  });
});

describe('run ingest transport, connections', () => {
  it('speaks TLS to an https endpoint', async () => {
    const tcp = await startFirstByteServer();
    const transport = createRunIngestTransport({ endpoint: `https://127.0.0.1:${tcp.port}`, apiKey: 'k', timeoutMs: 2000, retries: 0 });
    await failure(transport);
    tcp.close();
    transport.close();
    // 0x16: a TLS handshake record (the ClientHello).
    expect(tcp.firstBytes).toEqual([0x16]);
  });

  it('opens two sockets by default for concurrent posts, reuses them, and closes them on close()', async () => {
    const held: ServerResponse[] = [];
    const endpoint = await startEndpoint((response) => {
      held.push(response);
      // Answer once two requests wait: with more sockets allowed, a third connection would open meanwhile.
      if (held.length === 2 || endpoint.requests.length >= 3) for (const waiting of held.splice(0)) waiting.writeHead(202).end('{}');
    });
    const transport = createRunIngestTransport({ endpoint: endpoint.url, apiKey: 'k', timeoutMs: 2000, retries: 0 });
    await Promise.all([post(transport), post(transport), post(transport)]);
    expect(endpoint.requests).toHaveLength(3);
    expect(endpoint.connections).toHaveLength(2);
    await post(transport);
    expect(endpoint.connections).toHaveLength(2);
    expect(endpoint.closedConnections).toEqual([]);
    transport.close();
    await new Promise<void>((resolve) => {
      const check = () => (endpoint.closedConnections.length === 2 ? resolve() : setImmediate(check));
      check();
    });
    expect([...endpoint.closedConnections].sort()).toEqual([...endpoint.connections].sort());
  });
});

describe('run batch body', () => {
  it('holds every run, comma-separated, in one /runs/batch JSON body, and nothing else', () => {
    const created = ['1', '2', '3'].map((n) => ({ id: `01a219e4-62d8-7d6e-ba3e-83dfe11b270${n}`, name: `run ${n}`, run_type: 'chain', inputs: { n } }));
    const { body, contentType } = encodeBatchRuns(serializeRuns(created));
    expect(contentType).toBe('application/json');
    expect(body.toString('utf8')).toBe(JSON.stringify({ post: created, patch: [] }));
  });
});
