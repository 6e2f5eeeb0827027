// Fake LangSmith REST API covering what the `langsmith` 0.12 SDK sends for tracing (multipart or
// JSON batch), datasets/examples, experiments (sessions) and feedback. See
// /work/shared/notes/langsmith.md, "HTTP calls a local fake must accept".
import type { ServerResponse } from 'node:http';
import { parseJson, pollUntil, sendJson, startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';
import {
  LangSmithStore,
  type LangSmithDataset,
  type LangSmithExample,
  type LangSmithFeedback,
  type LangSmithRun,
  type LangSmithSession,
  type RunAction,
} from './langsmith-store.js';
import { multipartBoundary, parseMultipart, type MultipartPart } from './multipart.js';

export type { LangSmithDataset, LangSmithExample, LangSmithFeedback, LangSmithRun, LangSmithSession } from './langsmith-store.js';

export interface LangSmithFakeOptions {
  port?: number;
  apiKey?: string;
  /** false: /info says use_multipart_endpoint:false and /runs/multipart answers 404 (older servers). */
  multipart?: boolean;
}

export interface LangSmithFake extends HttpFake {
  /** Runs with post and patch merged by id; times in epoch ms. In arrival order, not chronological. */
  runs(): LangSmithRun[];
  datasets(): LangSmithDataset[];
  examples(): LangSmithExample[];
  feedback(): LangSmithFeedback[];
  sessions(): LangSmithSession[];
  waitForRuns(predicate: (runs: LangSmithRun[]) => boolean, timeoutMs?: number): Promise<LangSmithRun[]>;
}

type Json = Record<string, unknown>;
type RouteHandler = (req: RecordedRequest, res: ServerResponse, params: string[]) => void;

export async function startLangSmithFake(options: LangSmithFakeOptions = {}): Promise<LangSmithFake> {
  const apiKey = options.apiKey ?? 'ls-test-key';
  const multipart = options.multipart ?? true;
  const store = new LangSmithStore();

  const routes: Array<[method: string, path: RegExp, handler: RouteHandler]> = [
    ['POST', /^\/runs\/multipart$/, (req, res) => (multipart ? ingestMultipart(store, req, res) : notFound(res))],
    ['POST', /^\/runs\/batch$/, (req, res) => {
      const body = parseJson<{ post?: Json[]; patch?: Json[] }>(req) ?? {};
      for (const run of body.post ?? []) store.recordRun('post', run);
      for (const run of body.patch ?? []) store.recordRun('patch', run);
      sendJson(res, 202, {});
    }],
    ['POST', /^\/runs$/, (req, res) => {
      store.recordRun('post', parseJson<Json>(req) ?? {});
      sendJson(res, 202, {});
    }],
    ['PATCH', /^\/runs\/([^/]+)$/, (req, res, [id]) => {
      store.recordRun('patch', { ...parseJson<Json>(req), id });
      sendJson(res, 202, {});
    }],
    ['GET', /^\/runs\/([^/]+)$/, (_req, res, [id]) => sendFound(res, store.run(id!), withoutAttachments)],

    ['POST', /^\/datasets$/, (req, res) => {
      const body = parseJson<Json & { name?: string }>(req);
      if (typeof body?.name !== 'string') return sendJson(res, 422, { detail: 'name is required' });
      if (store.datasets.some((d) => d.name === body.name)) {
        return sendJson(res, 409, { detail: 'Dataset with this name already exists.' });
      }
      sendJson(res, 200, store.datasetView(store.createDataset({ ...body, name: body.name })));
    }],
    ['GET', /^\/datasets$/, (req, res) => {
      const matches = store.datasets.filter(
        (d) =>
          matchesParam(req.query, 'id', d.id) &&
          matchesParam(req.query, 'name', d.name) &&
          d.name.includes(req.query.get('name_contains') ?? ''),
      );
      sendJson(res, 200, paginate(matches, req.query).map((d) => store.datasetView(d)));
    }],
    ['GET', /^\/datasets\/([^/]+)$/, (_req, res, [id]) =>
      sendFound(res, store.datasets.find((d) => d.id === id), (d) => store.datasetView(d))],

    ['POST', /^\/v1\/platform\/datasets\/([^/]+)\/examples$/, (req, res, [datasetId]) => {
      if (!store.datasets.some((d) => d.id === datasetId)) return notFound(res);
      const parts = readMultipart(req, res);
      if (parts === undefined) return;
      const ids = uploadExamples(store, datasetId!, parts);
      sendJson(res, 201, { example_ids: ids, count: ids.length });
    }],
    ['POST', /^\/examples\/bulk$/, (req, res) => {
      const bodies = parseJson<Array<Json & { dataset_id: string }>>(req) ?? [];
      sendJson(res, 200, bodies.map((body) => store.createExample(body)));
    }],
    ['POST', /^\/examples$/, (req, res) => {
      const body = parseJson<Json & { dataset_id?: string }>(req);
      if (typeof body?.dataset_id !== 'string') return sendJson(res, 422, { detail: 'dataset_id is required' });
      sendJson(res, 200, store.createExample({ ...body, dataset_id: body.dataset_id }));
    }],
    ['GET', /^\/examples$/, (req, res) => {
      const matches = store.examples.filter(
        (e) => matchesParam(req.query, 'dataset', e.dataset_id) && matchesParam(req.query, 'id', e.id),
      );
      sendJson(res, 200, paginate(matches, req.query).map(withoutAttachments));
    }],
    ['GET', /^\/examples\/([^/]+)$/, (_req, res, [id]) =>
      sendFound(res, store.examples.find((e) => e.id === id), withoutAttachments)],

    ['POST', /^\/sessions$/, (req, res) => {
      const body = parseJson<Json & { name?: string }>(req);
      if (typeof body?.name !== 'string') return sendJson(res, 422, { detail: 'name is required' });
      const existing = store.sessions.find((s) => s.name === body.name);
      if (existing && req.query.get('upsert') === 'true') return sendJson(res, 200, existing);
      if (existing) return sendJson(res, 409, { detail: 'Session already exists.' });
      sendJson(res, 200, store.createSession({ ...body, name: body.name }));
    }],
    ['GET', /^\/sessions$/, (req, res) => {
      const matches = store.sessions.filter(
        (s) =>
          matchesParam(req.query, 'id', s.id) &&
          matchesParam(req.query, 'name', s.name) &&
          matchesParam(req.query, 'reference_dataset', s.reference_dataset_id ?? '') &&
          s.name.includes(req.query.get('name_contains') ?? ''),
      );
      sendJson(res, 200, paginate(matches, req.query));
    }],
    ['GET', /^\/sessions\/([^/]+)$/, (_req, res, [id]) => sendFound(res, store.sessions.find((s) => s.id === id), (s) => s)],
    ['PATCH', /^\/sessions\/([^/]+)$/, (req, res, [id]) => {
      const session = store.sessions.find((s) => s.id === id);
      if (session === undefined) return notFound(res);
      const update = Object.entries(parseJson<Json>(req) ?? {}).filter(([, value]) => value !== null && value !== undefined);
      Object.assign(session, Object.fromEntries(update));
      sendJson(res, 200, session);
    }],

    ['POST', /^\/feedback$/, (req, res) => {
      const created = store.addFeedback(parseJson<Json>(req) ?? {});
      if (created) sendJson(res, 200, created);
      else sendJson(res, 409, { detail: 'Feedback with this id already exists' });
    }],
    ['PATCH', /^\/feedback\/([^/]+)$/, (req, res, [id]) => sendFound(res, store.updateFeedback(id as string, parseJson<Json>(req) ?? {}), (f) => f)],
    ['GET', /^\/feedback$/, (req, res) => {
      const matches = store.feedback.filter(
        (f) => matchesParam(req.query, 'run', String(f.run_id)) && matchesParam(req.query, 'key', f.key),
      );
      sendJson(res, 200, paginate(matches, req.query));
    }],
  ];

  function handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'GET' && req.path === '/info') {
      sendJson(res, 200, serverInfo(multipart));
      return;
    }
    if (req.headers['x-api-key'] !== apiKey) {
      sendJson(res, 401, { detail: 'Invalid token' });
      return;
    }
    for (const [method, pattern, handler] of routes) {
      const match = req.method === method ? pattern.exec(req.path) : null;
      if (match) {
        handler(req, res, match.slice(1).map(decodeURIComponent));
        return;
      }
    }
    notFound(res);
  }

  const fake = await startHttpFake({
    port: options.port,
    handle,
    fail: (res) => sendJson(res, 500, { detail: 'Internal Server Error' }),
    onReset: () => store.clear(),
  });
  const runs = () => store.runs();
  return Object.assign(fake, {
    runs,
    datasets: () => [...store.datasets],
    examples: () => [...store.examples],
    feedback: () => [...store.feedback],
    sessions: () => [...store.sessions],
    waitForRuns: (predicate: (runs: LangSmithRun[]) => boolean, timeoutMs = 3000) =>
      pollUntil(runs, predicate, timeoutMs, (last) => `runs so far: [${last.map(describeRun).join(', ')}]`),
  });
}

function describeRun(run: LangSmithRun): string {
  return `${run.name ?? '?'}(${run.end_time === undefined ? 'open' : 'ended'})`;
}

function serverInfo(multipart: boolean): Json {
  return {
    version: '0.16.0',
    // No gzip/zstd flags: advertising them makes the SDK compress, and the fake would need zstd.
    batch_ingest_config: { use_multipart_endpoint: multipart, size_limit: 100, size_limit_bytes: 20_971_520 },
    instance_flags: { dataset_examples_multipart_enabled: true },
  };
}

/** Parts: post.<id>, post.<id>.<field>, patch.<id>[.<field>], feedback.<id>, attachment.<id>.<name>. */
function ingestMultipart(store: LangSmithStore, req: RecordedRequest, res: ServerResponse): void {
  const parts = readMultipart(req, res);
  if (parts === undefined) return;
  // LangSmith's API: every part needs a Content-Type and its byte length, as a Content-Length header or a
  // `length` parameter (the SDK's way); a length that disagrees with the part is a broken upload.
  const misstated = parts.find((part) => {
    const stated = part.contentLength ?? /;\s*length=(\d+)/.exec(part.contentType ?? '')?.[1];
    return part.contentType === undefined || stated === undefined || Number(stated) !== part.data.length;
  });
  if (misstated) return sendJson(res, 422, { detail: `part ${misstated.name}: needs a Content-Type and its length in bytes` });
  const operations = new Map<string, { action: RunAction; run: Json }>();
  for (const part of parts) {
    const [kind, id, ...rest] = part.name.split('.');
    if (id === undefined) continue;
    if (kind === 'attachment') {
      store.recordAttachment(id, rest.join('.'), part.data);
    } else if (kind === 'feedback') {
      store.addFeedback({ id, ...(JSON.parse(part.data.toString('utf8')) as Json) });
    } else if (kind === 'post' || kind === 'patch') {
      const key = `${kind}.${id}`;
      const operation = operations.get(key) ?? { action: kind, run: { id } };
      operations.set(key, operation);
      const value: unknown = JSON.parse(part.data.toString('utf8'));
      if (rest.length === 0) Object.assign(operation.run, value);
      else operation.run[rest.join('.')] = value;
    }
  }
  for (const { action, run } of operations.values()) store.recordRun(action, run);
  sendJson(res, 202, {});
}

/** Parts: <exampleId>, <exampleId>.inputs, <exampleId>.outputs, <exampleId>.attachment.<name>. */
function uploadExamples(store: LangSmithStore, datasetId: string, parts: MultipartPart[]): string[] {
  const examples = new Map<string, Json>();
  for (const part of parts) {
    const [id, field, ...rest] = part.name.split('.');
    if (id === undefined) continue;
    const example = examples.get(id) ?? { id, dataset_id: datasetId };
    examples.set(id, example);
    if (field === undefined) Object.assign(example, JSON.parse(part.data.toString('utf8')));
    else if (field === 'attachment') {
      const attachments = (example.attachments ??= {}) as Record<string, { mimeType?: string; data: Buffer }>;
      attachments[rest.join('.')] = { mimeType: part.contentType?.split(';')[0], data: part.data };
    } else example[field] = JSON.parse(part.data.toString('utf8'));
  }
  return [...examples.values()].map((example) => store.createExample({ ...example, dataset_id: datasetId }).id);
}

function readMultipart(req: RecordedRequest, res: ServerResponse): MultipartPart[] | undefined {
  const boundary = multipartBoundary(req.headers['content-type']);
  if (boundary === undefined) {
    sendJson(res, 422, { detail: 'expected multipart/form-data with a boundary' });
    return undefined;
  }
  try {
    return parseMultipart(req.raw, boundary);
  } catch (error) {
    sendJson(res, 422, { detail: (error as Error).message });
    return undefined;
  }
}

/** Repeated query keys (id=…&id=…) filter by any; an absent key matches everything. */
function matchesParam(query: URLSearchParams, key: string, value: string): boolean {
  const wanted = query.getAll(key);
  return wanted.length === 0 || wanted.includes(value);
}

function paginate<T>(items: T[], query: URLSearchParams): T[] {
  const offset = Number(query.get('offset') ?? 0);
  const limit = Number(query.get('limit') ?? 100);
  return items.slice(offset, offset + limit);
}

function sendFound<T>(res: ServerResponse, item: T | undefined, view: (item: T) => unknown): void {
  if (item === undefined) notFound(res);
  else sendJson(res, 200, view(item));
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { detail: 'Not Found' });
}

/** Attachments are kept as Buffers for assertions; the JSON API does not inline them. */
function withoutAttachments(item: Json): Json {
  const { attachments: _attachments, ...rest } = item;
  return rest;
}
