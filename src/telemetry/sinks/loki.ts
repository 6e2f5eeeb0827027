import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { BufferWriter } from '../support/buffer-writer.js';
import { ByteArena } from '../support/byte-arena.js';
import type { FailureReporter } from '../support/failure-reporter.js';

export interface LokiStreamOptions {
  url: string;
  /** Stream labels besides `level` (service, environment). */
  labels: Record<string, string>;
  timeoutMs: number;
  reporter: FailureReporter;
  intervalMs?: number;
  /** Lines waiting for the next push; beyond it new lines are dropped and counted. */
  maxBufferedLines?: number;
  /** The same bound in bytes of the encoded lines. */
  maxBufferedBytes?: number;
  /** Bound on the last push at close: the process is about to exit. */
  closeTimeoutMs?: number;
}

const lokiLevels: Record<string, string> = { '10': 'debug', '20': 'debug', '30': 'info', '40': 'warning', '50': 'error', '60': 'critical' };

interface BufferedLine {
  level: string;
  /**
   * The line's entry in its stream's `values`, `["<ns>","<line>",{"trace_id":…,"span_id":…}]` (no metadata
   * outside a span), already UTF-8: it waits up to a second outside V8's heap, and its size is exact.
   */
  entry: Buffer;
}

// pino writes `{"level":30,"time":1795796848491,"pid":…` and, inside a span, `"trace_id":"…","span_id":"…"` next.
const levelAndTime = /^\{"level":(\d+),"time":(\d+)/;

/**
 * pino's destination for Loki, on the main thread: each line becomes its Loki entry as it is written
 * (level, time and trace ids read from pino's fixed prefix and the top-level id fields, never parsed; the line itself
 * kept as pino wrote it), and once per interval the buffered entries go out as one JSON push, grouped
 * by level, with the trace and span ids as structured metadata.
 * It replaces pino-loki in a worker thread, which parsed and re-serialised every line there (on the
 * same core) and cost more than the lines themselves (docs/BENCHMARKS.md). Failed pushes and dropped
 * lines are counted; nothing is retried, as with pino-loki.
 */
export class LokiStream extends EventEmitter {
  private buffered: BufferedLine[] = [];
  private bufferedBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly agent: http.Agent;
  private readonly body = new BufferWriter();
  private readonly arena = new ByteArena(256 * 1024);
  private pushing: Promise<void> | undefined;
  private readonly pushUrl: URL;
  private readonly labelsJson: string;

  constructor(private readonly options: LokiStreamOptions) {
    super();
    this.pushUrl = new URL('loki/api/v1/push', options.url.endsWith('/') ? options.url : `${options.url}/`);
    const client = this.pushUrl.protocol === 'https:' ? https : http;
    this.agent = new client.Agent({ keepAlive: true, maxSockets: 1 });
    this.labelsJson = JSON.stringify(options.labels).slice(1, -1);
    this.timer = setInterval(() => void this.push(), options.intervalMs ?? 1000).unref();
  }

  write(chunk: string): boolean {
    const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    // A full buffer turns the new line away: evicting the oldest would make garbage of a long-lived line
    // for every new one, which during an outage grows the heap far beyond the bound (batch-sender.ts).
    if (this.buffered.length >= (this.options.maxBufferedLines ?? 10_000)) return this.drop();
    const head = levelAndTime.exec(line);
    const entry = this.arena.encode(`["${head?.[2] ?? Date.now()}000000",`, JSON.stringify(line), `${traceMetadata(line)}]`);
    if (this.bufferedBytes + entry.length > (this.options.maxBufferedBytes ?? Infinity)) return this.drop();
    this.bufferedBytes += entry.length;
    this.buffered.push({ level: lokiLevels[head?.[1] ?? '30'] ?? 'info', entry });
    return true;
  }

  private drop(): boolean {
    this.options.reporter.dropped('loki', 1);
    return true;
  }

  end(): void {
    clearInterval(this.timer);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.options.closeTimeoutMs ?? 1000).unref());
    // Whatever a push in flight left buffered goes out after it, within the same bound.
    const final = (async () => {
      await this.pushing;
      await this.push();
    })();
    void Promise.race([final, deadline]).then(() => {
      this.agent.destroy();
      this.emit('close');
    });
  }

  /** One push at a time; lines written meanwhile wait for the next. */
  private push(): Promise<void> {
    if (this.pushing || this.buffered.length === 0) return this.pushing ?? Promise.resolve();
    const lines = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.pushing = this.send(lines)
      .catch((error: unknown) => this.options.reporter.exportFailed('loki', lines.length, `Loki push failed: ${(error as Error).message}`))
      .finally(() => {
        this.pushing = undefined;
      });
    return this.pushing;
  }

  private send(lines: BufferedLine[]): Promise<void> {
    const byLevel = new Map<string, BufferedLine[]>();
    for (const entry of lines) {
      const list = byLevel.get(entry.level);
      if (list) list.push(entry);
      else byLevel.set(entry.level, [entry]);
    }
    const body = this.body.reset();
    body.write('{"streams":[');
    let firstStream = true;
    for (const [level, entries] of byLevel) {
      body.write(`${firstStream ? '' : ','}{"stream":{${this.labelsJson},"level":"${level}"},"values":[`);
      firstStream = false;
      entries.forEach(({ entry }, index) => {
        if (index > 0) body.write(',');
        body.writeBytes(entry);
      });
      body.write(']}');
    }
    body.write(']}');
    // push() hands every buffered line to this body, which holds its own copy of them now.
    this.arena.releaseBefore(this.arena.position());
    return this.post(body.bytes());
  }

  private post(payload: Buffer): Promise<void> {
    const client = this.pushUrl.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      const request = client.request(
        this.pushUrl,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.options.timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => ((response.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`))));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload);
    });
  }
}

/**
 * `,{"trace_id":"…","span_id":"…"}` for a line written inside a span, else nothing. The ids are read where
 * pino's mixin puts them: the first `trace_id`, among the top-level fields before any nested object (a
 * `trace_id` inside a logged object is not the line's trace), then `span_id`, both hexadecimal.
 */
function traceMetadata(line: string): string {
  const at = line.indexOf('"trace_id":"');
  if (at < 0 || line.lastIndexOf('{', at) > 0) return '';
  topLevelIds.lastIndex = at;
  const ids = topLevelIds.exec(line);
  return ids ? `,{"trace_id":"${ids[1]}","span_id":"${ids[2]}"}` : '';
}

const topLevelIds = /"trace_id":"([0-9a-f]{1,32})","span_id":"([0-9a-f]{1,16})"/y;
