import { LangfuseEvent, getLangfuseTracer } from '@langfuse/tracing';
import { trace, type Context, type Link } from '@opentelemetry/api';
import type { Metrics } from './metrics.js';

export interface BatchSummary {
  batchId: string;
  size: number;
  succeeded: number;
  failed: number;
  /** Each item's own latency, in milliseconds. */
  itemLatenciesMs: number[];
}

export function createBatchTelemetry(metrics: Metrics) {
  return {
    /**
     * Where a batch item runs: a new trace (so feedback works per item), whose root span links to the
     * batch's span. Context values other than the span (baggage) carry over.
     */
    itemTrace(batchContext: Context): { context: Context; links: Link[] } {
      const batchSpan = trace.getSpanContext(batchContext);
      return { context: trace.deleteSpan(batchContext), links: batchSpan ? [{ context: batchSpan }] : [] };
    },
    /** `batch_size`, `batch_items_total{status}` and the chapter's `batch_processed` LangFuse event, in the batch's trace. */
    recordBatch(summary: BatchSummary, batchContext: Context) {
      metrics.batchSize.observe(summary.size);
      metrics.batchItems.inc({ status: 'ok' }, summary.succeeded);
      metrics.batchItems.inc({ status: 'error' }, summary.failed);
      const otelSpan = getLangfuseTracer().startSpan('batch_processed', {}, batchContext);
      if (!otelSpan.isRecording()) return otelSpan.end();
      const totalSeconds = summary.itemLatenciesMs.reduce((sum, ms) => sum + ms, 0) / 1000;
      // The chapter's efficiency: items per second of summed item latency (above 1 when items overlap).
      const efficiency = totalSeconds > 0 ? Math.round((summary.size / totalSeconds) * 1000) / 1000 : null;
      new LangfuseEvent({
        otelSpan,
        attributes: {
          metadata: { batch_id: summary.batchId, batch_size: summary.size, succeeded: summary.succeeded, failed: summary.failed, efficiency },
        },
        timestamp: new Date(),
      });
    },
  };
}
