import type { Logger } from 'pino';
import type { Metrics } from '../sinks/prometheus-registry.js';
import type { SinkName } from '../types.js';

/** Destinations whose exports can fail or drop items (`telemetry_export_failures_total{sink}`). */
export type ExportSinkName = 'otlp' | 'langfuse' | 'langsmith' | 'loki';

type ReporterMetrics = Pick<Metrics, 'telemetryExportFailures' | 'telemetryDropped' | 'telemetryInternalErrors'>;

/**
 * Counts every failed export, dropped item and internal telemetry error, but logs each kind of failure of
 * a sink at most once per interval: a sink that is down (or a mapping bug hit by every request) must not
 * turn into a log flood, which would itself go to Loki.
 */
export function createFailureReporter(metrics: ReporterMetrics, getLogger: () => Logger | undefined, intervalMs = 30_000) {
  const lastLogged = new Map<string, number>();
  const suppressed = new Map<string, number>();

  function warnAtMostOncePerInterval(key: string, fields: Record<string, unknown>, message: string) {
    const now = Date.now();
    if (now - (lastLogged.get(key) ?? 0) < intervalMs) {
      suppressed.set(key, (suppressed.get(key) ?? 0) + 1);
      return;
    }
    lastLogged.set(key, now);
    const alsoFailed = suppressed.get(key) ?? 0;
    suppressed.set(key, 0);
    try {
      getLogger()?.warn({ ...fields, failures_since_last_log: alsoFailed }, message);
    } catch {
      // The logger may be the failing sink; the failure is counted either way.
    }
  }

  return {
    exportFailed(sink: ExportSinkName, dropped: number, reason: string) {
      metrics.telemetryExportFailures.inc({ sink });
      if (dropped > 0) metrics.telemetryDropped.inc({ sink }, dropped);
      warnAtMostOncePerInterval(`export:${sink}`, { sink, dropped, reason }, 'telemetry export failed');
    },
    dropped(sink: ExportSinkName, count: number) {
      if (count > 0) metrics.telemetryDropped.inc({ sink }, count);
    },
    /** A sink's own code threw while recording; what it was recording is lost for that sink only. */
    internalError(sink: SinkName, error: unknown) {
      try {
        metrics.telemetryInternalErrors.inc({ sink });
      } catch {
        // Nothing left to count with; the request still goes on.
      }
      const reason = error instanceof Error ? error.message : String(error);
      warnAtMostOncePerInterval(`internal:${sink}`, { sink, reason }, 'telemetry sink failed; the request went on');
    },
  };
}

export type FailureReporter = ReturnType<typeof createFailureReporter>;
