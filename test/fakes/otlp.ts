// OTLP/HTTP trace receiver. The JSON decoding lives in `createOtlpTraceSink` so the Langfuse fake
// can mount the same logic behind its own path and auth.
import type { ServerResponse } from 'node:http';
import { parseJson, pollUntil, sendJson, startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface OtlpSpan {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: Array<{ name: string; timeUnixNano: string; attributes: Attributes }>;
  /** Span links (OTLP `links`), with hex ids. */
  links: Array<{ traceId: string; spanId: string }>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  /** Instrumentation scope name. */
  scope: string;
  /** Resource attributes (service.name, …). */
  resource: Attributes;
}

export type SpanPredicate = (spans: OtlpSpan[]) => boolean;

export interface OtlpTraceSink {
  /** Handles one export POST: JSON is decoded, protobuf is only counted and kept raw. */
  accept(req: RecordedRequest, res: ServerResponse): void;
  spans(): OtlpSpan[];
  /** Raw bodies of `application/x-protobuf` exports. */
  readonly protobufExports: Buffer[];
  waitForSpans(predicate: SpanPredicate, timeoutMs?: number): Promise<OtlpSpan[]>;
  clear(): void;
}

export interface OtlpReceiverOptions {
  port?: number;
  path?: string;
}

export interface OtlpReceiver extends HttpFake, Omit<OtlpTraceSink, 'accept' | 'clear'> {}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const path = options.path ?? '/v1/traces';
  const sink = createOtlpTraceSink();
  const fake = await startHttpFake({
    port: options.port,
    handle: (req, res) => {
      if (req.method === 'POST' && req.path === path) sink.accept(req, res);
      else sendJson(res, 404, { code: 5, message: `no route ${req.method} ${req.path}` });
    },
    // google.rpc.Status, the error body OTLP/HTTP specifies.
    fail: (res) => sendJson(res, 500, { code: 13, message: 'internal error' }),
    onReset: sink.clear,
  });
  return Object.assign(fake, {
    spans: sink.spans,
    protobufExports: sink.protobufExports,
    waitForSpans: sink.waitForSpans,
  });
}

export function createOtlpTraceSink(): OtlpTraceSink {
  const collected: OtlpSpan[] = [];
  const protobufExports: Buffer[] = [];

  const spans = () => [...collected];

  return {
    accept(req, res) {
      const contentType = req.headers['content-type'] ?? '';
      if (contentType.startsWith('application/x-protobuf')) {
        protobufExports.push(req.raw);
        // An empty ExportTraceServiceResponse encodes to zero bytes.
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
        res.end();
        return;
      }
      if (!contentType.startsWith('application/json')) {
        sendJson(res, 415, { code: 3, message: `unsupported content type ${contentType}` });
        return;
      }
      const request = parseJson<ExportTraceServiceRequest>(req);
      if (request === undefined) {
        sendJson(res, 400, { code: 3, message: 'invalid JSON' });
        return;
      }
      collected.push(...flattenSpans(request));
      sendJson(res, 200, {});
    },
    spans,
    protobufExports,
    waitForSpans: (predicate, timeoutMs = 2000) =>
      pollUntil(spans, predicate, timeoutMs, (last) => `spans so far: [${last.map((s) => s.name).join(', ')}]`),
    clear() {
      collected.length = 0;
      protobufExports.length = 0;
    },
  };
}

// Only the parts of the OTLP JSON schema this fake reads.
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: string | number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
type Timestamp = string | number | { low: number; high: number };
interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: Timestamp;
  endTimeUnixNano: Timestamp;
  attributes?: KeyValue[];
  events?: Array<{ name: string; timeUnixNano: Timestamp; attributes?: KeyValue[] }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number; message?: string };
}
interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: WireSpan[] }>;
  }>;
}

function flattenSpans(request: ExportTraceServiceRequest): OtlpSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = decodeAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span): OtlpSpan => {
        const parentSpanId = span.parentSpanId ? decodeId(span.parentSpanId) : undefined;
        return {
          traceId: decodeId(span.traceId),
          spanId: decodeId(span.spanId),
          ...(parentSpanId ? { parentSpanId } : {}),
          name: span.name,
          kind: span.kind ?? 0,
          startTimeUnixNano: decodeTimestamp(span.startTimeUnixNano),
          endTimeUnixNano: decodeTimestamp(span.endTimeUnixNano),
          attributes: decodeAttributes(span.attributes),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            timeUnixNano: decodeTimestamp(event.timeUnixNano),
            attributes: decodeAttributes(event.attributes),
          })),
          links: (span.links ?? []).map((link) => ({ traceId: decodeId(link.traceId), spanId: decodeId(link.spanId) })),
          status: {
            code: span.status?.code ?? 0,
            ...(span.status?.message ? { message: span.status.message } : {}),
          },
          scope: scopeSpans.scope?.name ?? '',
          resource,
        };
      }),
    );
  });
}

/** OTel JS JSON sends hex ids; the proto3 JSON mapping (other SDKs, `useHex: false`) sends base64. */
function decodeId(id: string): string {
  if (/^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32})$/.test(id)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

function decodeTimestamp(value: Timestamp): string {
  if (typeof value === 'object') return ((BigInt(value.high >>> 0) << 32n) + BigInt(value.low >>> 0)).toString();
  return String(value);
}

function decodeAttributes(list: KeyValue[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));
}

function decodeValue(value: AnyValue | undefined): AttributeValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  return null;
}
