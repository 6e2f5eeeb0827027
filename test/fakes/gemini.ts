// Fake Gemini REST API (v1beta generateContent / streamGenerateContent / countTokens), shaped
// like the real wire protocol described in /work/shared/notes/gemini.md.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseJson, sendJson, sendText, startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';

export interface GeminiUsage {
  promptTokenCount: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  /** Computed from the other counts when omitted. */
  totalTokenCount?: number;
}

export type GeminiErrorStatus = 400 | 404 | 429 | 500 | 503 | 504;

/** One scripted reply; `enqueue`d entries are used by generate/stream requests in order. */
export type GeminiScript =
  | { kind: 'ok'; text?: string; usage?: GeminiUsage; modelVersion?: string }
  | { kind: 'error'; status: GeminiErrorStatus; retryDelay?: string; quotaId?: string; html?: boolean }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'blocked'; reason?: string }
  | { kind: 'finish'; finishReason: string; text?: string }
  /** Streaming: one good chunk, then an error chunk. Non-streaming: a plain 503. */
  | { kind: 'midstream-error' };

export interface GeminiContent {
  role?: string;
  parts?: Array<{ text?: string } & Record<string, unknown>>;
}

export interface GeminiRequestBody {
  contents?: GeminiContent[];
  generationConfig?: Record<string, unknown>;
  systemInstruction?: GeminiContent;
  safetySettings?: unknown[];
  [key: string]: unknown;
}

export type GeminiAction = 'generateContent' | 'streamGenerateContent' | 'countTokens';

export interface GeminiCall {
  model: string;
  action: GeminiAction;
  /** For countTokens, the embedded `generateContentRequest`. */
  body: GeminiRequestBody;
}

export interface GeminiFakeOptions {
  port?: number;
  apiKey?: string;
  /** Defaults to the model named in the request path. */
  modelVersion?: string;
  usage?: GeminiUsage;
  text?: string;
  /** Delay before each reply starts. */
  latencyMs?: number;
  /** Delay between the chunks of a streamed reply, so that clients see them arrive apart in time. */
  chunkDelayMs?: number;
}

export interface GeminiFake extends HttpFake {
  /** Generate/stream/countTokens calls with their parsed bodies (authenticated ones only). */
  readonly calls: GeminiCall[];
  /** Streamed replies whose client closed the connection before the last chunk was sent. */
  readonly streamsClosedEarly: number;
  enqueue(...script: GeminiScript[]): void;
}

export const DEFAULT_GEMINI_TEXT =
  'Retrieval-augmented generation grounds a model in retrieved documents [1]. ' +
  'It reduces hallucination when sources are cited [2].';

const DEFAULT_USAGE: GeminiUsage = {
  promptTokenCount: 1200,
  cachedContentTokenCount: 200,
  candidatesTokenCount: 300,
  thoughtsTokenCount: 100,
};

const ROUTE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

const RPC_STATUS: Record<GeminiErrorStatus, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  404: { status: 'NOT_FOUND', message: 'is not found for API version v1beta, or is not supported for generateContent.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota, please check your plan and billing details.' },
  500: {
    status: 'INTERNAL',
    message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
  504: { status: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' },
};

export async function startGeminiFake(options: GeminiFakeOptions = {}): Promise<GeminiFake> {
  const apiKey = options.apiKey ?? 'test-key';
  const calls: GeminiCall[] = [];
  const script: GeminiScript[] = [];
  let streamsClosedEarly = 0;

  async function handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const route = ROUTE.exec(req.path);
    if (req.method !== 'POST' || route === null) {
      sendJson(res, 404, rpcError(404, `Method not found: ${req.method} ${req.path}`));
      return;
    }
    if (req.headers['x-goog-api-key'] !== apiKey) {
      sendJson(res, 400, invalidApiKeyError());
      return;
    }
    const model = route[2]!;
    const action = route[3] as GeminiAction;
    const parsed = parseJson<GeminiRequestBody & { generateContentRequest?: GeminiRequestBody }>(req);
    if (parsed === undefined) {
      sendJson(res, 400, rpcError(400, 'Invalid JSON payload received.'));
      return;
    }
    const body = action === 'countTokens' ? (parsed.generateContentRequest ?? parsed) : parsed;
    calls.push({ model, action, body });
    if (options.latencyMs) await delay(options.latencyMs);

    if (action === 'countTokens') {
      sendJson(res, 200, { totalTokens: estimateTokens(body) });
      return;
    }
    const step = script.shift() ?? { kind: 'ok' };
    const reply = new ReplyBuilder(model, options);
    // A hang or an HTTP error happens before any body, so it looks the same to both kinds of call.
    if (step.kind === 'hang') return;
    if (step.kind === 'error') return sendError(res, step, reply.model);
    if (action === 'streamGenerateContent') {
      // A client that goes away mid-stream closes its end (FIN); Node keeps a half-open socket writable,
      // so that, not a failed write, is the moment the client left. The fake then stops, as Gemini does.
      let counted = false;
      const leftEarly = () => {
        if (counted || res.writableFinished) return;
        counted = true;
        streamsClosedEarly += 1;
        res.destroy();
      };
      res.socket?.once('end', leftEarly);
      res.once('close', leftEarly);
      await streamReply(res, step, reply, options.chunkDelayMs ?? 0);
    }
    else unaryReply(res, step, reply);
  }

  const fake = await startHttpFake({
    port: options.port,
    handle,
    fail: (res) => sendJson(res, 500, rpcError(500)),
    onReset: () => {
      calls.length = 0;
      script.length = 0;
      streamsClosedEarly = 0;
    },
  });
  // A getter, not a copy: Object.assign would freeze the count at 0.
  const withCount = Object.defineProperty(fake, 'streamsClosedEarly', { get: () => streamsClosedEarly, enumerable: true });
  return Object.assign(withCount as HttpFake & { readonly streamsClosedEarly: number }, {
    calls,
    enqueue: (...entries: GeminiScript[]) => void script.push(...entries),
  });
}

function unaryReply(res: ServerResponse, step: GeminiScript, reply: ReplyBuilder): void {
  switch (step.kind) {
    case 'midstream-error':
      sendError(res, { kind: 'error', status: 503 }, reply.model);
      return;
    case 'malformed':
      sendText(res, 200, '{"candidates":[{"content":', 'application/json; charset=UTF-8');
      return;
    case 'blocked':
      sendJson(res, 200, reply.blocked(step.reason ?? 'SAFETY'));
      return;
    case 'finish':
      sendJson(res, 200, reply.final(step.text ?? reply.defaultText, step.finishReason));
      return;
    case 'ok':
      sendJson(res, 200, reply.withOverrides(step).final(step.text ?? reply.defaultText, 'STOP'));
  }
}

async function streamReply(res: ServerResponse, step: GeminiScript, reply: ReplyBuilder, chunkDelayMs: number): Promise<void> {
  switch (step.kind) {
    case 'malformed':
      startSse(res);
      res.end('data: {"candidates":[{"content":\n\n');
      return;
    case 'blocked':
      startSse(res);
      res.end(sseEvent(reply.blocked(step.reason ?? 'SAFETY')));
      return;
    case 'midstream-error': {
      startSse(res);
      const [first] = splitText(reply.defaultText);
      res.write(sseEvent(reply.partial(first ?? '')));
      res.end(sseEvent(rpcError(503)));
      return;
    }
    case 'finish':
    case 'ok': {
      const text = step.text ?? reply.defaultText;
      const finishReason = step.kind === 'finish' ? step.finishReason : 'STOP';
      const builder = step.kind === 'ok' ? reply.withOverrides(step) : reply;
      const pieces = splitText(text);
      const last = pieces.pop() ?? '';
      startSse(res);
      for (const piece of pieces) {
        res.write(sseEvent(builder.partial(piece)));
        // Separate writes so clients see several network reads, as with the real API.
        if (chunkDelayMs > 0) await delay(chunkDelayMs);
        // setImmediate runs after pending I/O, so a client that left during the delay is noticed first.
        await new Promise((resolve) => setImmediate(resolve));
        if (res.destroyed) return;
      }
      res.end(sseEvent(builder.final(last, finishReason)));
    }
  }
}

/** Builds GenerateContentResponse bodies that share one responseId, like one real call. */
class ReplyBuilder {
  readonly model: string;
  readonly defaultText: string;
  private readonly responseId = randomBytes(16).toString('base64url').slice(0, 22);
  private modelVersion: string;
  private usage: GeminiUsage;

  constructor(model: string, options: GeminiFakeOptions) {
    this.model = model;
    this.defaultText = options.text ?? DEFAULT_GEMINI_TEXT;
    this.modelVersion = options.modelVersion ?? model;
    this.usage = options.usage ?? DEFAULT_USAGE;
  }

  withOverrides(step: { usage?: GeminiUsage; modelVersion?: string }): this {
    if (step.usage) this.usage = step.usage;
    if (step.modelVersion) this.modelVersion = step.modelVersion;
    return this;
  }

  /** Early stream chunk: text only, usage limited to prompt/total as the real API does. */
  partial(text: string): object {
    const { promptTokenCount } = this.usage;
    return this.envelope({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
      usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount },
    });
  }

  /** Last chunk or unary body: finishReason and full usage. Empty text means no parts. */
  final(text: string, finishReason: string): object {
    const content = text === '' ? { role: 'model' } : { role: 'model', parts: [{ text }] };
    return this.envelope({
      candidates: [{ content, finishReason, index: 0, safetyRatings: [] }],
      usageMetadata: fullUsage(this.usage),
    });
  }

  blocked(blockReason: string): object {
    const { promptTokenCount } = this.usage;
    return this.envelope({
      promptFeedback: { blockReason, safetyRatings: [] },
      usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount },
    });
  }

  private envelope(body: object): object {
    return { ...body, modelVersion: this.modelVersion, responseId: this.responseId };
  }
}

function fullUsage(usage: GeminiUsage): GeminiUsage {
  const computedTotal =
    usage.promptTokenCount +
    (usage.candidatesTokenCount ?? 0) +
    (usage.thoughtsTokenCount ?? 0) +
    (usage.toolUsePromptTokenCount ?? 0);
  return { ...usage, totalTokenCount: usage.totalTokenCount ?? computedTotal };
}

function sendError(res: ServerResponse, step: Extract<GeminiScript, { kind: 'error' }>, model: string): void {
  if (step.html) {
    const page = '<!DOCTYPE html><html><body><h1>Error 500 (Server Error)!!1</h1></body></html>';
    sendText(res, step.status, page, 'text/html; charset=UTF-8');
    return;
  }
  if (step.status === 429) {
    sendJson(res, 429, quotaError(model, step.retryDelay ?? '38s', step.quotaId));
    return;
  }
  const message = step.status === 404 ? `models/${model} ${RPC_STATUS[404].message}` : undefined;
  sendJson(res, step.status, rpcError(step.status, message));
}

export function rpcError(code: GeminiErrorStatus, message?: string, details?: object[]): object {
  const { status, message: defaultMessage } = RPC_STATUS[code];
  return { error: { code, message: message ?? defaultMessage, status, ...(details ? { details } : {}) } };
}

function invalidApiKeyError(): object {
  return rpcError(400, 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ]);
}

function quotaError(model: string, retryDelay: string, quotaId = 'GenerateContentPaidTierInputTokensPerModelPerMinute'): object {
  const seconds = Number.parseFloat(retryDelay);
  return rpcError(429, `${RPC_STATUS[429].message} Please retry in ${seconds}s.`, [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count',
          quotaId,
          quotaDimensions: { model, location: 'global' },
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
  ]);
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

function sseEvent(body: object): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** Splits an answer into up to three word-aligned stream pieces (at least one). */
function splitText(text: string): string[] {
  const words = text.split(/(?<=\s)/);
  const size = Math.max(1, Math.ceil(words.length / 3));
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

/** Rough token estimate (~4 characters per token) so different prompts count differently. */
function estimateTokens(body: GeminiRequestBody): number {
  const contents = [...(body.contents ?? []), ...(body.systemInstruction ? [body.systemInstruction] : [])];
  const characters = contents.flatMap((c) => c.parts ?? []).reduce((sum, part) => sum + (part.text?.length ?? 0), 0);
  return Math.max(1, Math.ceil(characters / 4));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
