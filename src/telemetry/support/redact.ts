export const redactionMark = '[REDACTED]';

/** Returns a copy of `value` with every REDACT_PATTERNS match in every string replaced; the input is untouched. */
export type Redact = <T>(value: T) => T;

const maxDepth = 32;

/**
 * One masking function for every sink that may hold user text (span exporters, the logger, the
 * LangSmith observer), so that a configured pattern cannot reach one sink while another masks it.
 * With no pattern configured it is the identity and costs nothing.
 */
export function createRedactor(patterns: readonly RegExp[]): Redact {
  if (patterns.length === 0) return (value) => value;
  const text = (value: string) => patterns.reduce((masked, pattern) => masked.replace(pattern, redactionMark), value);
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return text(value);
    if (value === null || typeof value !== 'object') return value;
    // Deeper than any record this service builds: mask it whole rather than risk passing it through.
    if (depth > maxDepth) return redactionMark;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    if (value instanceof Error) return { type: value.name, message: text(value.message), stack: value.stack && text(value.stack) };
    const prototype = Object.getPrototypeOf(value) as unknown;
    // Class instances (buffers, dates, hrtime tuples are arrays) keep their identity; records are plain objects.
    if (prototype !== Object.prototype && prototype !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, depth + 1)]));
  };
  // Fails closed: if masking itself throws (a getter, a hostile object), nothing of the value goes out.
  return (value) => {
    try {
      return walk(value, 0) as typeof value;
    } catch {
      return redactionMark as typeof value;
    }
  };
}
