import { describe, expect, it } from 'vitest';
import { createRedactor, redactionMark } from '../../src/telemetry/support/redact.js';

const redact = createRedactor([/sk-[A-Za-z0-9]{8,}/g, /\b\d{3}-\d{2}-\d{4}\b/g]);

describe('REDACT_PATTERNS masking', () => {
  it('masks every match in every string of a nested record and leaves the input untouched', () => {
    const record = {
      query: 'my key is sk-ABCDEF123456 and my SSN 123-45-6789',
      nested: { list: ['sk-ZZZZZZZZZZ', 42, true, null], deeper: { text: 'nothing here' } },
    };
    const masked = redact(record);
    expect(masked).toEqual({
      query: `my key is ${redactionMark} and my SSN ${redactionMark}`,
      nested: { list: [redactionMark, 42, true, null], deeper: { text: 'nothing here' } },
    });
    expect(record.query).toContain('sk-ABCDEF123456');
  });

  it('masks error messages and stacks, and caps absurd nesting rather than passing it through', () => {
    const masked = redact({ err: new Error('upstream said sk-ABCDEF123456') }) as { err: { message: string } };
    expect(masked.err.message).toBe(`upstream said ${redactionMark}`);
    let deep: unknown = 'sk-ABCDEF123456';
    for (let i = 0; i < 100; i += 1) deep = { deep };
    expect(JSON.stringify(redact(deep))).not.toContain('sk-ABCDEF123456');
  });

  it('fails closed: a value that cannot be walked is replaced whole by the mark', () => {
    const hostile = { query: 'sk-ABCDEF123456' };
    Object.defineProperty(hostile, 'broken', {
      enumerable: true,
      get() {
        throw new Error('getter failed');
      },
    });
    expect(redact(hostile)).toBe(redactionMark);
  });

  it('is the identity when no pattern is configured', () => {
    const record = { query: 'sk-ABCDEF123456' };
    expect(createRedactor([])(record)).toBe(record);
  });
});
