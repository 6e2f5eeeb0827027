import { randomBytes } from 'node:crypto';
import type { RunCreate } from 'langsmith/schemas';

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

/** `encode` turns each run's JSON into bytes (the sink's ByteArena). */
export const serializeRuns = (runs: RunCreate[], encode: (text: string) => Buffer = (text) => Buffer.from(text)): SerializedRun[] =>
  runs.map((run) => ({ id: run.id as string, json: encode(JSON.stringify(run)) }));

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
