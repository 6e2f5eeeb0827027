import { randomBytes } from 'node:crypto';
import type { KVMap, RunCreate } from 'langsmith/schemas';

/**
 * A run already turned into its JSON, as it waits in the queue: UTF-8 bytes, outside V8's heap (the
 * collector neither copies nor promotes them while they wait), whose size is exact.
 */
export interface SerializedRun {
  id: string;
  json: Buffer;
}

export interface EncodedRuns {
  body: Buffer;
  contentType: string;
}

/** The JSON LangFuse already made for a value, if any (support/content-json.ts). */
export type MadeJson = (value: unknown) => string | undefined;

/** `encode` writes a run's JSON, given in pieces, as bytes (the sink's ByteArena). */
export const serializeRuns = (
  runs: RunCreate[],
  encode: (...pieces: string[]) => Buffer = (...pieces) => Buffer.from(pieces.join('')),
  made: MadeJson = () => undefined,
): SerializedRun[] => runs.map((run) => ({ id: run.id as string, json: encode(...runJsonPieces(run, made)) }));

/**
 * A run's JSON in pieces, its inputs and outputs last: where LangFuse already made the JSON of a value
 * (an agent's inputs, the root's outputs, a call's prompt messages; support/content-json.ts), it is
 * reused rather than escaped again.
 */
function runJsonPieces(run: RunCreate, made: MadeJson): string[] {
  const { inputs, outputs, ...fields } = run;
  const head = JSON.stringify(fields);
  // The inputs and outputs go before the closing brace, after a comma unless they are the only fields.
  const pieces = [head.slice(0, -1)];
  let separator = head === '{}' ? '' : ',';
  for (const [name, value] of [['inputs', inputs], ['outputs', outputs]] as const) {
    if (value === undefined) continue;
    pieces.push(`${separator}"${name}":`, ...valueJsonPieces(value, made));
    separator = ',';
  }
  pieces.push('}');
  return pieces;
}

/** An object's JSON, reusing what was made for it or, one level down, for its fields (`{messages}`). */
function valueJsonPieces(value: unknown, made: MadeJson): string[] {
  const whole = made(value);
  if (whole !== undefined) return [whole];
  if (!isPlainRecord(value)) return [JSON.stringify(value)];
  const pieces = ['{'];
  let separator = '';
  for (const key of Object.keys(value)) {
    const json = made(value[key]) ?? (JSON.stringify(value[key]) as string | undefined);
    // As JSON.stringify does: a field without a JSON value (undefined, a function) is left out.
    if (json === undefined) continue;
    pieces.push(`${separator}${JSON.stringify(key)}:`, json);
    separator = ',';
  }
  pieces.push('}');
  return pieces;
}

/** A plain object JSON.stringify would write field by field (not an array, a class instance or one with toJSON). */
const isPlainRecord = (value: unknown): value is KVMap =>
  typeof value === 'object' &&
  value !== null &&
  Object.getPrototypeOf(value) === Object.prototype &&
  typeof (value as { toJSON?: unknown }).toJSON !== 'function';

/**
 * The runs as LangSmith's `POST /runs/multipart` takes them: one `post.<run id>` part per run holding the
 * whole run ("JSON run payload" in LangSmith's API reference; the `post.<id>.<field>` parts the SDK also
 * sends are optional, for fields too large to inline), `application/json; length=<bytes>`. Written
 * straight into one Buffer sized in advance, each piece apart so that no run's JSON is copied into a
 * larger string first: splitting every run into four parts (the SDK's layout) or building Blobs per
 * part cost about half as much CPU again as the JSON batch this replaces.
 */
export function encodeMultipartRuns(runs: SerializedRun[]): EncodedRuns {
  // 96 random bits: a JSON value cannot contain the boundary by accident.
  const boundary = randomBytes(12).toString('hex');
  const heads: string[] = [];
  let size = 0;
  for (const { id, json } of runs) {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="post.${id}"\r\nContent-Type: application/json; length=${json.length}\r\n\r\n`;
    heads.push(head);
    // The framing is ASCII: one byte per character.
    size += head.length + json.length + 2;
  }
  const closing = `--${boundary}--\r\n`;
  const body = Buffer.allocUnsafe(size + closing.length);
  let offset = 0;
  runs.forEach(({ json }, index) => {
    offset += body.write(heads[index]!, offset, 'latin1');
    offset += json.copy(body, offset);
    offset += body.write('\r\n', offset, 'latin1');
  });
  body.write(closing, offset, 'latin1');
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

const batchOpen = Buffer.from('{"post":[');
const comma = Buffer.from(',');
const batchClose = Buffer.from('],"patch":[]}');

/** The same runs as the JSON body of `POST /runs/batch`, for servers without the multipart endpoint. */
export function encodeBatchRuns(runs: SerializedRun[]): EncodedRuns {
  const runList = runs.flatMap(({ json }, index) => (index === 0 ? [json] : [comma, json]));
  return { body: Buffer.concat([batchOpen, ...runList, batchClose]), contentType: 'application/json' };
}
