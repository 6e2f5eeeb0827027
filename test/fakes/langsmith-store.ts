// In-memory state of the LangSmith fake: runs merged from post/patch operations, projects
// (sessions), datasets, examples and feedback. HTTP framing lives in langsmith.ts.
import { randomUUID } from 'node:crypto';

type Json = Record<string, unknown>;

export interface LangSmithRun {
  id: string;
  name?: string;
  run_type?: string;
  trace_id?: string;
  parent_run_id?: string;
  dotted_order?: string;
  session_name?: string;
  session_id?: string;
  /** Epoch milliseconds, whether the SDK sent an ISO string or a number. */
  start_time?: number;
  end_time?: number;
  inputs?: Json;
  outputs?: Json;
  error?: string;
  extra?: Json;
  events?: unknown[];
  tags?: string[];
  reference_example_id?: string;
  attachments: Record<string, Buffer>;
  [key: string]: unknown;
}

export interface LangSmithSession {
  id: string;
  name: string;
  tenant_id: string;
  description?: string | null;
  extra?: Json | null;
  reference_dataset_id?: string | null;
  start_time: string;
  end_time: string | null;
  [key: string]: unknown;
}

export interface LangSmithDataset {
  id: string;
  name: string;
  description?: string | null;
  tenant_id: string;
  data_type: string;
  created_at: string;
  modified_at: string;
  [key: string]: unknown;
}

export interface LangSmithExample {
  id: string;
  dataset_id: string;
  inputs: Json;
  outputs?: Json;
  metadata?: Json;
  split?: string | string[];
  created_at: string;
  modified_at: string;
  [key: string]: unknown;
}

export interface LangSmithFeedback {
  id: string;
  run_id?: string | null;
  key: string;
  score?: number | boolean | null;
  value?: unknown;
  comment?: string | null;
  [key: string]: unknown;
}

export type RunAction = 'post' | 'patch';

interface RunRecord {
  post?: Json;
  patches: Json[];
  attachments: Record<string, Buffer>;
}

export class LangSmithStore {
  readonly tenantId = randomUUID();
  private readonly runRecords = new Map<string, RunRecord>();
  readonly sessions: LangSmithSession[] = [];
  readonly datasets: LangSmithDataset[] = [];
  readonly examples: LangSmithExample[] = [];
  readonly feedback: LangSmithFeedback[] = [];

  clear(): void {
    this.runRecords.clear();
    this.sessions.length = 0;
    this.datasets.length = 0;
    this.examples.length = 0;
    this.feedback.length = 0;
  }

  /** Posts and patches may arrive in any order, separately or in one request. */
  recordRun(action: RunAction, run: Json): void {
    const id = String(run.id);
    const record = this.runRecord(id);
    if (action === 'post') record.post = { ...record.post, ...run };
    else record.patches.push(run);
    if (typeof run.session_name === 'string') this.ensureSession(run.session_name);
  }

  recordAttachment(runId: string, name: string, data: Buffer): void {
    this.runRecord(runId).attachments[name] = data;
  }

  runs(): LangSmithRun[] {
    return [...this.runRecords.entries()].map(([id, record]) => mergeRun(id, record));
  }

  run(id: string): LangSmithRun | undefined {
    const record = this.runRecords.get(id);
    return record && mergeRun(id, record);
  }

  /** Real LangSmith creates a project on first ingest into it. */
  ensureSession(name: string): LangSmithSession {
    return this.sessions.find((s) => s.name === name) ?? this.createSession({ name });
  }

  createSession(body: Json & { name: string }): LangSmithSession {
    const session: LangSmithSession = {
      description: null,
      extra: null,
      reference_dataset_id: null,
      ...body,
      id: typeof body.id === 'string' ? body.id : randomUUID(),
      tenant_id: this.tenantId,
      start_time: new Date().toISOString(),
      end_time: null,
    };
    this.sessions.push(session);
    return session;
  }

  createDataset(body: Json & { name: string }): LangSmithDataset {
    const now = new Date().toISOString();
    const dataset: LangSmithDataset = {
      description: null,
      data_type: 'kv',
      ...body,
      id: typeof body.id === 'string' ? body.id : randomUUID(),
      tenant_id: this.tenantId,
      created_at: now,
      modified_at: now,
    };
    this.datasets.push(dataset);
    return dataset;
  }

  /** Dataset as the API returns it, with live counts. */
  datasetView(dataset: LangSmithDataset): Json {
    return { ...dataset, example_count: this.examples.filter((e) => e.dataset_id === dataset.id).length, session_count: 0 };
  }

  createExample(body: Json & { dataset_id: string }): LangSmithExample {
    const now = new Date().toISOString();
    const { reference_outputs, ...rest } = body;
    const example: LangSmithExample = {
      inputs: {},
      ...rest,
      ...(reference_outputs === undefined ? {} : { outputs: reference_outputs as Json }),
      id: typeof body.id === 'string' ? body.id : randomUUID(),
      created_at: typeof body.created_at === 'string' ? body.created_at : now,
      modified_at: now,
    };
    this.examples.push(example);
    return example;
  }

  /** Undefined when feedback with that id exists: the server answers 409, it does not overwrite. */
  addFeedback(body: Json): LangSmithFeedback | undefined {
    const feedback = { ...body, id: typeof body.id === 'string' ? body.id : randomUUID() } as LangSmithFeedback;
    if (this.feedback.some((existing) => existing.id === feedback.id)) return undefined;
    this.feedback.push(feedback);
    return feedback;
  }

  /** PATCH /feedback/{id}: only the fields sent change. */
  updateFeedback(id: string, update: Json): LangSmithFeedback | undefined {
    const feedback = this.feedback.find((existing) => existing.id === id);
    if (feedback) Object.assign(feedback, update);
    return feedback;
  }

  private runRecord(id: string): RunRecord {
    let record = this.runRecords.get(id);
    if (record === undefined) {
      record = { patches: [], attachments: {} };
      this.runRecords.set(id, record);
    }
    return record;
  }
}

function mergeRun(id: string, record: RunRecord): LangSmithRun {
  let merged: Json = { ...record.post };
  for (const patch of record.patches) {
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined && value !== null));
    const extra = mergeExtra(merged.extra, defined.extra);
    merged = { ...merged, ...defined, ...(extra ? { extra } : {}) };
  }
  return {
    ...merged,
    id,
    start_time: toEpochMs(merged.start_time),
    end_time: toEpochMs(merged.end_time),
    attachments: record.attachments,
  } as LangSmithRun;
}

/** Patches resend `extra`; keep metadata set at creation that a patch does not repeat. */
function mergeExtra(base: unknown, patch: unknown): Json | undefined {
  if (!isObject(patch)) return isObject(base) ? base : undefined;
  if (!isObject(base)) return patch;
  const hasMetadata = isObject(base.metadata) || isObject(patch.metadata);
  const metadata = hasMetadata ? { ...asObject(base.metadata), ...asObject(patch.metadata) } : undefined;
  return { ...base, ...patch, ...(metadata ? { metadata } : {}) };
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}
