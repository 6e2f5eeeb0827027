import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferWriter } from '../../src/telemetry/support/buffer-writer.js';

// The writer exists to keep one buffer across export bodies (docs/BENCHMARKS.md): what it allocates is
// its behaviour, read from Buffer.allocUnsafe.
afterEach(() => vi.restoreAllMocks());

describe('BufferWriter', () => {
  it('writes UTF-8 pieces back to back and starts over after reset', () => {
    const writer = new BufferWriter(4);
    for (const piece of ['{"a":', '"é€😀"', '}']) writer.write(piece);
    expect(writer.bytes().toString('utf8')).toBe('{"a":"é€😀"}');
    writer.reset().write('x');
    expect(writer.bytes().toString('utf8')).toBe('x');
  });

  it('grows by doubling, only when a piece does not fit, and keeps its buffer across resets', () => {
    const allocations = vi.spyOn(Buffer, 'allocUnsafe');
    const writer = new BufferWriter(1024);
    const kilobyte = 'x'.repeat(1024);
    // Exactly full: a piece that fits to the last byte does not grow the buffer.
    writer.write(kilobyte);
    for (let piece = 1; piece < 64; piece += 1) writer.write(kilobyte);
    writer.reset();
    for (let piece = 0; piece < 64; piece += 1) writer.write(kilobyte);
    expect(allocations.mock.calls.map(([size]) => size)).toEqual([1024, 2048, 4096, 8192, 16_384, 32_768, 65_536]);
    expect(writer.bytes()).toHaveLength(65_536);
  });

  it('appends bytes encoded earlier between strings, growing to fit them', () => {
    const writer = new BufferWriter(2);
    writer.write('[');
    writer.writeBytes(Buffer.from('"é€"'));
    writer.write(',');
    writer.writeBytes(Buffer.from('1'));
    writer.write(']');
    expect(writer.bytes().toString('utf8')).toBe('["é€",1]');
    expect(writer.bytes()).toHaveLength(11);
  });
});
