/**
 * LangSmith identifies runs by UUID v7 and orders them by `dotted_order`. Both are derived here from the
 * OTel ids and start times the call descriptions already carry, so a run id is the same whenever (and
 * however often) it is computed: no id table has to be kept per request.
 */

/**
 * A UUID v7 whose time is the run's start and whose random bits are the 64 bits of the span id plus
 * 8 bits of the trace id: unique per span, time-ordered like the ids the SDK generates.
 */
export function runIdFromSpan(startedAtMs: number, spanId: string, traceId: string): string {
  const time = Math.max(0, Math.floor(startedAtMs)).toString(16).padStart(12, '0').slice(-12);
  const variant = (8 | (parseInt(traceId.charAt(0) || '0', 16) & 3)).toString(16);
  const hex = `${time}7${spanId.slice(0, 3)}${variant}${spanId.slice(3, 16)}${traceId.slice(1, 3)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The start time as the SDK serialises it: milliseconds from the clock, then three digits of execution
 * order in place of the microseconds, which breaks ties between runs started in the same millisecond.
 */
export function startTimeWithOrder(startedAtMs: number, executionOrder: number): string {
  const order = String(Math.min(Math.max(executionOrder, 0), 999)).padStart(3, '0');
  return `${new Date(startedAtMs).toISOString().slice(0, -1)}${order}Z`;
}

/** One `dotted_order` segment: `YYYYMMDDTHHMMSSmmmNNNZ<run id>`; a run's order is its ancestors' segments joined by dots. */
export const dottedOrderSegment = (startTime: string, runId: string): string => `${startTime.replace(/[-:.]/g, '')}${runId}`;
