import type { Logger } from 'pino';
import type { Metrics } from '../sinks/prometheus.js';

export type SinkName = 'otlp' | 'langfuse' | 'langsmith' | 'loki';

/**
 * Counts every failed export and dropped item, but logs a sink's failures at most once per interval:
 * a sink that is down must not turn into a log flood (which would itself go to Loki).
 */
export function createFailureReporter(metrics: Metrics, getLogger: () => Logger | undefined, intervalMs = 30_000) {
  const lastLogged = new Map<SinkName, number>();
  const suppressed = new Map<SinkName, number>();
  return {
    exportFailed(sink: SinkName, dropped: number, reason: string) {
      metrics.telemetryExportFailures.inc({ sink });
      if (dropped > 0) metrics.telemetryDropped.inc({ sink }, dropped);
      const now = Date.now();
      if (now - (lastLogged.get(sink) ?? 0) < intervalMs) {
        suppressed.set(sink, (suppressed.get(sink) ?? 0) + 1);
        return;
      }
      lastLogged.set(sink, now);
      const alsoFailed = suppressed.get(sink) ?? 0;
      suppressed.set(sink, 0);
      getLogger()?.warn({ sink, dropped, reason, failures_since_last_log: alsoFailed }, 'telemetry export failed');
    },
    dropped(sink: SinkName, count: number) {
      if (count > 0) metrics.telemetryDropped.inc({ sink }, count);
    },
  };
}

export type FailureReporter = ReturnType<typeof createFailureReporter>;
