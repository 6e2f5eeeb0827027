import http from 'node:http';
import https from 'node:https';
import { TraceFlags } from '@opentelemetry/api';
import pRetry from 'p-retry';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ExportSinkName, FailureReporter } from '../support/failure-reporter.js';
import { BufferWriter } from '../support/buffer-writer.js';
import { ByteArena } from '../support/byte-arena.js';
import { encodeSpan, writeTraceRequest, type EncodedSpan } from './otlp-json.js';

const retryableStatuses = new Set([429, 502, 503, 504]);

/** One OTLP/HTTP JSON destination (Jaeger, LangFuse): where, with which headers, which spans, with or without content. */
export interface OtlpDestination {
  sink: ExportSinkName;
  url: string;
  headers?: Record<string, string>;
  accept(span: ReadableSpan): boolean;
  withContent: boolean;
}

export interface OtlpExportOptions {
  destinations: OtlpDestination[];
  /** Spans waiting for export; beyond it new spans are dropped and counted for each destination they were for. */
  maxQueueSize: number;
  /** The same bound in bytes of the queued JSON, whichever is reached first. */
  maxQueueBytes: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  timeoutMillis: number;
  reporter: FailureReporter;
  /** Masks REDACT_PATTERNS in every exported string. */
  maskText: (text: string) => string;
  onStart?(span: Span): void;
}

/** An ended span, encoded, and which destinations take it (by index in `destinations`). */
interface QueuedSpan {
  encoded: EncodedSpan;
  accepted: boolean[];
  /** Where its bytes begin in the arena. */
  position: number;
}

/**
 * The span processor and exporter for every OTLP destination at once: each ended span is encoded once
 * (sinks/otlp-json.ts) and queued as its JSON pieces, and each destination gets its own request built
 * from the same pieces: Jaeger the content-free view, LangFuse its observations with content. The queue
 * is bounded in spans and in bytes; failed and dropped spans are counted per destination; one batch is
 * in flight at a time, each post bounded by the export timeout.
 */
export class OtlpExportProcessor implements SpanProcessor {
  private readonly queue: QueuedSpan[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly agents = new Map<string, http.Agent>();
  // One request body buffer per destination, reused: safe because a destination has one post in flight.
  private readonly bodies = new Map<string, BufferWriter>();
  private readonly arena = new ByteArena();
  private readonly encodeBytes = (...pieces: string[]) => this.arena.encode(...pieces);

  constructor(private readonly options: OtlpExportOptions) {}

  onStart(span: Span): void {
    this.options.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    const accepted = this.options.destinations.map((destination) => destination.accept(span));
    if (!accepted.includes(true)) return;
    // Full by count: dropped before paying for the encoding.
    if (this.queue.length >= this.options.maxQueueSize) return this.drop(accepted);
    const position = this.arena.position();
    const encoded = encodeSpan(span, this.options.maskText, this.encodeBytes);
    if (this.queuedBytes + encoded.size > this.options.maxQueueBytes) return this.drop(accepted);
    this.queue.push({ encoded, accepted, position });
    this.queuedBytes += encoded.size;
    if (this.queue.length >= this.options.maxExportBatchSize) void this.drain();
    else this.timer ??= setTimeout(() => void this.drain(), this.options.scheduledDelayMillis).unref();
  }

  private drop(accepted: boolean[]): void {
    accepted.forEach((taken, index) => {
      if (taken) this.options.reporter.dropped(this.options.destinations[index]!.sink, 1);
    });
  }

  async forceFlush(): Promise<void> {
    await this.drain();
  }

  async shutdown(): Promise<void> {
    await this.drain();
    this.stopped = true;
    for (const agent of this.agents.values()) agent.destroy();
  }

  private drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draining ??= (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxExportBatchSize);
        for (const { encoded } of batch) this.queuedBytes -= encoded.size;
        await this.export(batch);
      }
    })().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async export(batch: QueuedSpan[]): Promise<void> {
    const posts = this.options.destinations.map((destination, index) => {
      const spans = batch.filter(({ accepted }) => accepted[index]).map(({ encoded }) => encoded);
      if (spans.length === 0) return undefined;
      let body = this.bodies.get(destination.sink);
      if (!body) this.bodies.set(destination.sink, (body = new BufferWriter()));
      writeTraceRequest(body.reset(), spans, destination.withContent);
      return this.postWithRetries(destination, body.bytes()).catch((error: unknown) =>
        this.options.reporter.exportFailed(destination.sink, spans.length, (error as Error).message),
      );
    });
    // Each body holds its own copy of the batch's bytes now; the spans still queued were encoded later.
    this.arena.releaseBefore(this.queue[0]?.position ?? this.arena.position());
    await Promise.all(posts);
  }

  /**
   * As the SDK's exporter does, a refused connection, a reset keep-alive socket or a 429/502/503/504 is
   * retried with backoff; a destination that does not answer within the timeout is not (it is hanging).
   */
  private postWithRetries(destination: OtlpDestination, body: Buffer): Promise<void> {
    return pRetry(() => this.post(destination, body), {
      retries: 2,
      minTimeout: 500,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => {
        const { status, code } = error as { status?: number; code?: string };
        return status === undefined ? code !== 'ETIMEDOUT' : retryableStatuses.has(status);
      },
    });
  }

  private post(destination: OtlpDestination, payload: Buffer): Promise<void> {
    const url = new URL(destination.url);
    const client = url.protocol === 'https:' ? https : http;
    let agent = this.agents.get(destination.sink);
    if (!agent) this.agents.set(destination.sink, (agent = new client.Agent({ keepAlive: true, maxSockets: 2 })));
    return new Promise<void>((resolve, reject) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          agent,
          timeout: this.options.timeoutMillis,
          headers: { ...destination.headers, 'content-type': 'application/json', 'content-length': payload.length },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(Object.assign(new Error(`OTLP export answered ${status}`), { status }));
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error(`OTLP export timed out after ${this.options.timeoutMillis} ms`), { code: 'ETIMEDOUT' })),
      );
      request.on('error', reject);
      request.end(payload);
    });
  }
}
