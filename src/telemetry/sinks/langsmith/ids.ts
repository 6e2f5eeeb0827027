/**
 * LangSmith identifies runs by UUID v7 and orders them by `dotted_order`. Both are derived here from the
 * OTel ids and start times the call descriptions already carry, so a run id is the same whenever (and
 * however often) it is computed: no id table has to be kept per request.
 */

// Runs of one trace start within a few milliseconds of each other, so the last time formatted is kept:
// formatting a time (toString(16), toISOString) was most of the cost of building a run.
let memoMs = Number.NaN;
let memoTimeHex = '';
let memoSecond = Number.NaN;
let memoSecondPrefix = '';

/**
 * A UUID v7 whose time is the run's start and whose random bits are the 64 bits of the span id plus
 * 8 bits of the trace id: unique per span, time-ordered like the ids the SDK generates.
 */
export function runIdFromSpan(startedAtMs: number, spanId: string, traceId: string): string {
  const ms = Math.max(0, Math.floor(startedAtMs));
  if (ms !== memoMs) {
    memoMs = ms;
    memoTimeHex = ms.toString(16).padStart(12, '0').slice(-12);
  }
  const variant = (8 | (parseInt(traceId.charAt(0) || '0', 16) & 3)).toString(16);
  return `${memoTimeHex.slice(0, 8)}-${memoTimeHex.slice(8, 12)}-7${spanId.slice(0, 3)}-${variant}${spanId.slice(3, 6)}-${spanId.slice(6, 16)}${traceId.slice(1, 3)}`;
}

/**
 * The start time as the SDK serialises it: milliseconds from the clock, then three digits of execution
 * order in place of the microseconds, which breaks ties between runs started in the same millisecond.
 */
export function startTimeWithOrder(startedAtMs: number, executionOrder: number): string {
  const ms = Math.floor(startedAtMs);
  const second = Math.floor(ms / 1000);
  if (second !== memoSecond) {
    memoSecond = second;
    // `YYYY-MM-DDTHH:MM:SS.`
    memoSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = String(ms - second * 1000).padStart(3, '0');
  const order = String(Math.min(Math.max(executionOrder, 0), 999)).padStart(3, '0');
  return `${memoSecondPrefix}${millis}${order}Z`;
}

/** One `dotted_order` segment: `YYYYMMDDTHHMMSSmmmNNNZ<run id>`; a run's order is its ancestors' segments joined by dots. */
export const dottedOrderSegment = (startTime: string, runId: string): string =>
  // Slices rather than a regular expression: `YYYY-MM-DDTHH:MM:SS.mmmNNNZ` has its separators at fixed places.
  `${startTime.slice(0, 4)}${startTime.slice(5, 7)}${startTime.slice(8, 13)}${startTime.slice(14, 16)}${startTime.slice(17, 19)}${startTime.slice(20)}${runId}`;
