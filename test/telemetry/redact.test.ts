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

  it('masks an error’s stack as well as its message, and keeps a missing stack missing', () => {
    const error = new Error('upstream said sk-ABCDEF123456');
    error.stack = 'Error: upstream said sk-ABCDEF123456\n    at call (client.ts:1:1)';
    expect(redact(error)).toEqual({ type: 'Error', message: `upstream said ${redactionMark}`, stack: `Error: upstream said ${redactionMark}\n    at call (client.ts:1:1)` });
    const stackless = new TypeError('sk-ABCDEF123456');
    stackless.stack = undefined;
    expect(redact(stackless)).toEqual({ type: 'TypeError', message: redactionMark, stack: undefined });
  });

  it('walks 32 levels of objects or arrays and replaces whatever lies deeper by the mark, secret or not', () => {
    const inObjects = (levels: number, leaf: unknown): unknown => (levels === 0 ? leaf : { deeper: inObjects(levels - 1, leaf) });
    const inArrays = (levels: number, leaf: unknown): unknown => (levels === 0 ? leaf : [inArrays(levels - 1, leaf)]);
    for (const nest of [inObjects, inArrays]) {
      expect(redact(nest(32, { text: 'plain' }))).toEqual(nest(32, { text: 'plain' }));
      expect(redact(nest(33, { text: 'plain' }))).toEqual(nest(33, redactionMark));
    }
  });

  it('keeps class instances as they are and masks records without a prototype', () => {
    const at = new Date(0);
    const bytes = Buffer.from('sk-ABCDEF123456');
    const masked = redact({ at, bytes }) as { at: Date; bytes: Buffer };
    expect(masked.at).toBe(at);
    expect(masked.bytes).toBe(bytes);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { key: 'sk-ABCDEF123456' });
    expect(redact(bare)).toEqual({ key: redactionMark });
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
