/**
 * Appends strings as UTF-8 into one buffer that is kept and reused, growing when needed: an export
 * body is written piece by piece without ever existing as one large string, the allocation that
 * dominated encoding here (docs/BENCHMARKS.md). The bytes are valid until the next reset().
 */
export class BufferWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a piece that might not fit is measured.
    if (this.buffer.length - this.length < text.length * 3) this.ensure(this.length + Buffer.byteLength(text));
    this.length += this.buffer.write(text, this.length);
  }

  /** Appends bytes encoded earlier (a queued span or run). */
  writeBytes(bytes: Buffer): void {
    this.ensure(this.length + bytes.length);
    this.length += bytes.copy(this.buffer, this.length);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private ensure(needed: number): void {
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
