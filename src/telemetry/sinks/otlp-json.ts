import type { AttributeValue, Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { BufferWriter } from '../support/buffer-writer.js';

/** Prompt and answer text: LangFuse's observations carry them; Jaeger gets them only with CAPTURE_CONTENT. */
export const contentAttributePattern = /^(langfuse\.(observation|trace)\.(input|output)|gen_ai\.(input|output)\.messages|gen_ai\.system_instructions)$/;

/**
 * One span turned into OTLP/JSON once, in pieces, as soon as it ends: every destination's request is then
 * a concatenation. The pieces are UTF-8 bytes, not strings: what waits in the queue for up to a second
 * lives outside V8's heap, so the collector neither copies nor promotes it, the strings that built it die
 * young, and the queue's size is exact. `content` holds the prompt and answer attributes apart, so the
 * content-free view costs no second pass.
 */
export interface EncodedSpan {
  resource: string;
  scope: string;
  /** Up to and including the non-content attributes. */
  head: Buffer;
  /** Each content attribute apart, with the comma that separates it from what precedes it. */
  content: Buffer[];
  tail: Buffer;
  /** Bytes held, the measure of the queue's size bound. */
  size: number;
}

type MaskText = (text: string) => string;

/** Low 8 bits: W3C trace flags; 0x100: whether the parent (or linked) context is remote is known; 0x200: it is. */
const spanFlags = (traceFlags: number, isRemote: boolean | undefined) => (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

/** Nanoseconds since the epoch as the decimal string OTLP/JSON uses, without BigInt arithmetic. */
const nanos = ([seconds, fraction]: HrTime) => (seconds === 0 ? String(fraction) : `${seconds}${String(fraction).padStart(9, '0')}`);

function encodeValue(value: AttributeValue | null | undefined, mask: MaskText): string {
  if (typeof value === 'string') return `{"stringValue":${JSON.stringify(mask(value))}}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `{"intValue":${value}}` : `{"doubleValue":${JSON.stringify(value)}}`;
  if (typeof value === 'boolean') return `{"boolValue":${value}}`;
  if (Array.isArray(value)) return `{"arrayValue":{"values":[${value.map((item) => encodeValue(item, mask)).join(',')}]}}`;
  return '{}';
}

// Attribute keys come from a small fixed set: each one's JSON prefix is built once per process.
const keyPrefixes = new Map<string, string>();
function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${JSON.stringify(key)},"value":`;
    if (keyPrefixes.size < 10_000) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

const encodeAttribute = (key: string, value: AttributeValue | undefined, mask: MaskText) => `${keyPrefix(key)}${encodeValue(value, mask)}}`;

function encodeAttributes(attributes: Attributes, mask: MaskText): string {
  return Object.keys(attributes)
    .map((key) => encodeAttribute(key, attributes[key], mask))
    .join(',');
}

/** Pieces of text to UTF-8, back to back, as one buffer. */
type EncodeBytes = (...pieces: string[]) => Buffer;
const ownBuffer: EncodeBytes = (...pieces) => Buffer.from(pieces.join(''));

/**
 * A content attribute (a prompt, an answer) as bytes, in pieces: concatenated first, its escaped value
 * would be copied once more into a flat string before being encoded.
 */
function encodeContentAttribute(encode: EncodeBytes, separator: string, key: string, value: AttributeValue | undefined, mask: MaskText): Buffer {
  const prefix = `${separator}${keyPrefix(key)}`;
  return typeof value === 'string' ? encode(prefix, '{"stringValue":', JSON.stringify(mask(value)), '}}') : encode(prefix, encodeValue(value, mask), '}');
}

/**
 * Encodes a span's pieces, masking every string (attributes, events, status message) with `mask`;
 * `encode` turns each piece into bytes (the exporter's ByteArena).
 */
export function encodeSpan(span: ReadableSpan, mask: MaskText, encode: EncodeBytes = ownBuffer): EncodedSpan {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  const plainAttributes: string[] = [];
  const contentKeys: string[] = [];
  for (const key of Object.keys(span.attributes)) {
    if (contentAttributePattern.test(key)) contentKeys.push(key);
    else plainAttributes.push(encodeAttribute(key, span.attributes[key], mask));
  }
  const plain = plainAttributes.join(',');
  const content = contentKeys.map((key, index) => encodeContentAttribute(encode, index > 0 || plain !== '' ? ',' : '', key, span.attributes[key], mask));
  const events = span.events
    .map(
      (event) =>
        `{"attributes":[${encodeAttributes(event.attributes ?? {}, mask)}],"name":${JSON.stringify(event.name)},"timeUnixNano":"${nanos(event.time)}","droppedAttributesCount":${event.droppedAttributesCount ?? 0}}`,
    )
    .join(',');
  const links = span.links
    .map(
      (link) =>
        `{"attributes":[${encodeAttributes(link.attributes ?? {}, mask)}],"spanId":"${link.context.spanId}","traceId":"${link.context.traceId}",` +
        `${link.context.traceState ? `"traceState":${JSON.stringify(link.context.traceState.serialize())},` : ''}` +
        `"droppedAttributesCount":${link.droppedAttributesCount ?? 0},"flags":${spanFlags(link.context.traceFlags, link.context.isRemote)}}`,
    )
    .join(',');
  const status = span.status.message === undefined ? `{"code":${span.status.code}}` : `{"code":${span.status.code},"message":${JSON.stringify(mask(span.status.message))}}`;
  const head = encode(
    `{"traceId":"${context.traceId}","spanId":"${context.spanId}",${parent?.spanId ? `"parentSpanId":"${parent.spanId}",` : ''}` +
      `${context.traceState ? `"traceState":${JSON.stringify(context.traceState.serialize())},` : ''}` +
      `"name":${JSON.stringify(span.name)},"kind":${span.kind + 1},"startTimeUnixNano":"${nanos(span.startTime)}","endTimeUnixNano":"${nanos(span.endTime)}","attributes":[${plain}`,
  );
  const tail = encode(
    `],"droppedAttributesCount":${span.droppedAttributesCount},"events":[${events}],"droppedEventsCount":${span.droppedEventsCount},"status":${status},"links":[${links}],"droppedLinksCount":${span.droppedLinksCount},"flags":${spanFlags(context.traceFlags, parent?.isRemote)}}`,
  );
  return {
    resource: resourceJson(span),
    scope: scopeJson(span),
    head,
    content,
    tail,
    size: content.reduce((sum, piece) => sum + piece.length, head.length + tail.length),
  };
}

const encodedResources = new WeakMap<object, string>();

function resourceJson(span: ReadableSpan): string {
  let json = encodedResources.get(span.resource);
  if (json === undefined) {
    json = `{"attributes":[${encodeAttributes(span.resource.attributes as Attributes, (text) => text)}],"droppedAttributesCount":0}`;
    encodedResources.set(span.resource, json);
  }
  return json;
}

/** Writes an ExportTraceServiceRequest in OTLP/JSON for `spans`, grouped by resource and scope as the SDK's exporter does. */
export function writeTraceRequest(out: BufferWriter, spans: EncodedSpan[], withContent: boolean): void {
  const resources = new Map<string, Map<string, EncodedSpan[]>>();
  for (const encoded of spans) {
    let scopes = resources.get(encoded.resource);
    if (!scopes) resources.set(encoded.resource, (scopes = new Map()));
    let list = scopes.get(encoded.scope);
    if (!list) scopes.set(encoded.scope, (list = []));
    list.push(encoded);
  }
  out.write('{"resourceSpans":[');
  let firstResource = true;
  for (const [resource, scopes] of resources) {
    out.write(`${firstResource ? '' : ','}{"resource":${resource},"scopeSpans":[`);
    firstResource = false;
    let firstScope = true;
    for (const [scope, list] of scopes) {
      out.write(`${firstScope ? '' : ','}{"scope":${scope},"spans":[`);
      firstScope = false;
      list.forEach((encoded, index) => writeSpan(out, encoded, withContent, index === 0));
      out.write(']}');
    }
    out.write(']}');
  }
  out.write(']}');
}

function writeSpan(out: BufferWriter, { head, content, tail }: EncodedSpan, withContent: boolean, first: boolean): void {
  if (!first) out.write(',');
  out.writeBytes(head);
  if (withContent) for (const attribute of content) out.writeBytes(attribute);
  out.writeBytes(tail);
}

const encodedScopes = new WeakMap<object, string>();

function scopeJson(span: ReadableSpan): string {
  let json = encodedScopes.get(span.instrumentationScope);
  if (json === undefined) {
    json = JSON.stringify({ name: span.instrumentationScope.name, version: span.instrumentationScope.version });
    encodedScopes.set(span.instrumentationScope, json);
  }
  return json;
}
