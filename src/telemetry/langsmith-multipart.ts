import { randomBytes } from 'node:crypto';
import type { RunCreate } from 'langsmith/schemas';

export interface EncodedRuns {
  body: Buffer;
  contentType: string;
}

/**
 * The runs as LangSmith's `POST /runs/multipart` takes them, in the SDK's layout: a `post.<id>` part with
 * the run's small fields, then one part per large field (`post.<id>.inputs`, `.outputs`, `.extra`,
 * `.error`), each `application/json; length=<bytes>`. Written straight into one Buffer sized in advance:
 * no Blob or stream per part (the SDK's way, several times the CPU), and no large intermediate string.
 */
export function encodeMultipartRuns(runs: RunCreate[]): EncodedRuns {
  // 96 random bits: a JSON value cannot contain the boundary by accident.
  const boundary = randomBytes(12).toString('hex');
  const headers: string[] = [];
  const bodies: string[] = [];
  let size = 0;
  const addPart = (name: string, value: unknown) => {
    if (value === undefined) return;
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json);
    const header = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: application/json; length=${bytes}\r\n\r\n`;
    headers.push(header);
    bodies.push(json);
    // Headers are ASCII (run ids are UUIDs): one byte per character.
    size += header.length + bytes + 2;
  };
  for (const run of runs) {
    const { inputs, outputs, extra, error, ...small } = run;
    addPart(`post.${run.id}`, small);
    addPart(`post.${run.id}.inputs`, inputs);
    addPart(`post.${run.id}.outputs`, outputs);
    addPart(`post.${run.id}.extra`, extra);
    addPart(`post.${run.id}.error`, error);
  }
  const closing = `--${boundary}--\r\n`;
  const body = Buffer.allocUnsafe(size + closing.length);
  let offset = 0;
  for (let index = 0; index < headers.length; index += 1) {
    offset += body.write(headers[index] as string, offset, 'latin1');
    offset += body.write(bodies[index] as string, offset, 'utf8');
    offset += body.write('\r\n', offset, 'latin1');
  }
  body.write(closing, offset, 'latin1');
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The same runs as the JSON body of `POST /runs/batch`, for servers without the multipart endpoint. */
export const encodeBatchRuns = (runs: RunCreate[]): EncodedRuns => ({
  body: Buffer.from(JSON.stringify({ post: runs, patch: [] })),
  contentType: 'application/json',
});
