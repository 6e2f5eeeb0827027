// Fake Langfuse v4 server: OTLP traces at /api/public/otel/v1/traces (Basic auth), scores via the
// ingestion batch (events_only write mode: only score-create and sdk-log) or POST /api/public/scores;
// Prompt Management in langfuse-prompts.ts.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseJson, pollUntil, sendJson, startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';
import { createPromptRegistry, type StoredPrompt } from './langfuse-prompts.js';
import { createOtlpTraceSink, type AttributeValue, type Attributes, type OtlpSpan } from './otlp.js';

export interface LangfuseFakeOptions {
  port?: number;
  publicKey?: string;
  secretKey?: string;
}

export interface LangfuseObservation {
  traceId: string;
  /** The span id. */
  id: string;
  parentObservationId?: string;
  name: string;
  /** `langfuse.observation.type`, else inferred like the server: gen_ai operation → generation, else span. */
  type: string;
  model?: string;
  input?: unknown;
  output?: unknown;
  usageDetails?: Record<string, number>;
  costDetails?: Record<string, number>;
  promptName?: string;
  promptVersion?: number;
  level?: string;
  statusMessage?: string;
  /** `langfuse.observation.metadata.*` with the prefix removed. */
  metadata: Record<string, AttributeValue>;
  /** All span attributes, for anything not mapped above. */
  attributes: Attributes;
  span: OtlpSpan;
}

export interface LangfuseScore {
  id: string;
  name: string;
  value: number | string;
  traceId?: string;
  observationId?: string;
  sessionId?: string;
  dataType?: string;
  comment?: string;
  [key: string]: unknown;
}

export interface LangfuseState {
  observations: LangfuseObservation[];
  scores: LangfuseScore[];
}

export interface LangfuseFake extends HttpFake {
  spans(): OtlpSpan[];
  observations(): LangfuseObservation[];
  scores(): LangfuseScore[];
  /** Every prompt version stored through the prompt API, oldest first. */
  prompts(): StoredPrompt[];
  waitFor(predicate: (state: LangfuseState) => boolean, timeoutMs?: number): Promise<LangfuseState>;
}

interface IngestionEvent {
  id: string;
  type: string;
  timestamp?: string;
  body?: Record<string, unknown>;
}

const ACCEPTED_INGESTION_TYPES = new Set(['score-create', 'sdk-log']);
const GENERATION_OPERATIONS = new Set(['generate_content', 'chat', 'text_completion', 'completion']);

export async function startLangfuseFake(options: LangfuseFakeOptions = {}): Promise<LangfuseFake> {
  const credentials = `${options.publicKey ?? 'pk-lf-test'}:${options.secretKey ?? 'sk-lf-test'}`;
  const expectedAuthorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  const traces = createOtlpTraceSink();
  const storedScores: LangfuseScore[] = [];
  const prompts = createPromptRegistry();

  function handle(req: RecordedRequest, res: ServerResponse): void {
    const route = `${req.method} ${req.path}`;
    if (route === 'GET /api/public/health') {
      sendJson(res, 200, { status: 'OK', version: '4.16.0' });
      return;
    }
    if (req.headers.authorization !== expectedAuthorization) {
      sendJson(res, 401, { message: 'Invalid credentials' });
      return;
    }
    if (prompts.handle(req, res)) return;
    switch (route) {
      case 'POST /api/public/otel/v1/traces':
        traces.accept(req, res);
        return;
      case 'POST /api/public/ingestion':
        ingest(req, res);
        return;
      case 'POST /api/public/scores': {
        const body = parseJson<Partial<LangfuseScore>>(req);
        if (body?.name === undefined || body.value === undefined) {
          sendJson(res, 400, { message: 'Invalid request data', error: 'name and value are required' });
          return;
        }
        const score = { ...body, id: body.id ?? randomUUID() } as LangfuseScore;
        upsertScore(score);
        sendJson(res, 200, { id: score.id });
        return;
      }
      default:
        sendJson(res, 404, { message: `Route not found: ${route}` });
    }
  }

  // LangFuse upserts scores by id: a score sent again with the same id replaces the stored one.
  function upsertScore(score: LangfuseScore): void {
    const index = storedScores.findIndex((stored) => stored.id === score.id);
    if (index === -1) storedScores.push(score);
    else storedScores[index] = score;
  }

  function ingest(req: RecordedRequest, res: ServerResponse): void {
    const batch = parseJson<{ batch?: IngestionEvent[] }>(req)?.batch;
    if (!Array.isArray(batch)) {
      sendJson(res, 400, { message: 'Invalid request data', error: 'batch must be an array' });
      return;
    }
    const successes: Array<{ id: string; status: number }> = [];
    const errors: Array<{ id: string; status: number; message: string; error: string }> = [];
    for (const event of batch) {
      if (!ACCEPTED_INGESTION_TYPES.has(event.type)) {
        errors.push({
          id: event.id,
          status: 400,
          message: 'Invalid request data',
          error: `Event type ${event.type} is not supported in events_only write mode; use OpenTelemetry`,
        });
        continue;
      }
      // Like the server, a boolean score is 0 or 1; anything else is refused in the 207's errors.
      if (event.type === 'score-create' && event.body?.dataType === 'BOOLEAN' && event.body.value !== 0 && event.body.value !== 1) {
        errors.push({ id: event.id, status: 400, message: 'Invalid request data', error: 'Value must be either 0 or 1 for data type BOOLEAN' });
        continue;
      }
      if (event.type === 'score-create') upsertScore({ id: event.id, ...event.body } as LangfuseScore);
      successes.push({ id: event.id, status: 201 });
    }
    sendJson(res, 207, { successes, errors });
  }

  const observations = () => traces.spans().map(toObservation);
  const scores = () => [...storedScores];
  const fake = await startHttpFake({
    port: options.port,
    handle,
    fail: (res) => sendJson(res, 500, { message: 'Internal Server Error' }),
    onReset: () => {
      traces.clear();
      storedScores.length = 0;
      prompts.clear();
    },
  });
  return Object.assign(fake, {
    spans: traces.spans,
    observations,
    scores,
    prompts: prompts.all,
    waitFor: (predicate: (state: LangfuseState) => boolean, timeoutMs = 2000) =>
      pollUntil(
        () => ({ observations: observations(), scores: scores() }),
        predicate,
        timeoutMs,
        (last) =>
          `observations: [${last.observations.map((o) => `${o.type}:${o.name}`).join(', ')}], ` +
          `scores: [${last.scores.map((s) => `${s.name}=${String(s.value)}`).join(', ')}]`,
      ),
  });
}

const OBSERVATION_PREFIX = 'langfuse.observation.';
const METADATA_PREFIX = `${OBSERVATION_PREFIX}metadata.`;

function toObservation(span: OtlpSpan): LangfuseObservation {
  const attributes = span.attributes;
  const text = (key: string) => {
    const value = attributes[OBSERVATION_PREFIX + key];
    return typeof value === 'string' ? value : undefined;
  };
  const model =
    text('model.name') ?? asString(attributes['gen_ai.response.model']) ?? asString(attributes['gen_ai.request.model']);
  const promptVersion = attributes[`${OBSERVATION_PREFIX}prompt.version`];
  const metadata = Object.fromEntries(
    Object.entries(attributes)
      .filter(([key]) => key.startsWith(METADATA_PREFIX))
      .map(([key, value]) => [key.slice(METADATA_PREFIX.length), value]),
  );
  const observation: LangfuseObservation = {
    traceId: span.traceId,
    id: span.spanId,
    name: span.name,
    type: text('type') ?? inferType(attributes),
    metadata,
    attributes,
    span,
  };
  assignDefined(observation, {
    parentObservationId: span.parentSpanId,
    model,
    input: parseMaybeJson(text('input')),
    output: parseMaybeJson(text('output')),
    usageDetails: parseMaybeJson(text('usage_details')) as Record<string, number> | undefined,
    costDetails: parseMaybeJson(text('cost_details')) as Record<string, number> | undefined,
    promptName: text('prompt.name'),
    promptVersion: promptVersion === undefined || promptVersion === null ? undefined : Number(promptVersion),
    level: text('level'),
    statusMessage: text('status_message'),
  });
  return observation;
}

function inferType(attributes: Attributes): string {
  const operation = attributes['gen_ai.operation.name'];
  if (typeof operation === 'string' && GENERATION_OPERATIONS.has(operation)) return 'generation';
  if (attributes['gen_ai.request.model'] !== undefined) return 'generation';
  return 'span';
}

/** The SDK stores strings as-is and everything else as JSON, so fall back to the raw string. */
function parseMaybeJson(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function asString(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Copies only defined fields so optional properties stay absent rather than `undefined`. */
function assignDefined<T extends object>(target: T, fields: Partial<T>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}
