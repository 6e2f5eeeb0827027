import { randomBytes } from 'node:crypto';
import type { RunCreate } from 'langsmith/schemas';

export interface EncodedRuns {
  body: Buffer;
  contentType: string;
}

/**
 * The runs as LangSmith's `POST /runs/multipart` takes them, in the SDK's layout: a `post.<id>` part with
 * the run's small fields, then one part per large field (`post.<id>.inputs`, `.outputs`, `.extra`,
 * `.error`), each `application/json; length=<bytes>`. Built as one string and one Buffer: many small
 * Blobs or a stream cost the SDK several times the CPU for the same bytes.
 */
export function encodeMultipartRuns(runs: RunCreate[]): EncodedRuns {
  // 96 random bits: a JSON value cannot contain the boundary by accident.
  const boundary = `----ResearcherAIBoundary${randomBytes(12).toString('hex')}`;
  let text = '';
  const addPart = (name: string, value: unknown) => {
    if (value === undefined) return;
    const json = JSON.stringify(value);
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: application/json; length=${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`;
  };
  for (const run of runs) {
    const { inputs, outputs, extra, error, ...small } = run;
    addPart(`post.${run.id}`, small);
    addPart(`post.${run.id}.inputs`, inputs);
    addPart(`post.${run.id}.outputs`, outputs);
    addPart(`post.${run.id}.extra`, extra);
    addPart(`post.${run.id}.error`, error);
  }
  text += `--${boundary}--\r\n`;
  return { body: Buffer.from(text), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The same runs as the JSON body of `POST /runs/batch`, for servers without the multipart endpoint. */
export const encodeBatchRuns = (runs: RunCreate[]): EncodedRuns => ({
  body: Buffer.from(JSON.stringify({ post: runs, patch: [] })),
  contentType: 'application/json',
});
