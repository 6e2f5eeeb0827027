/**
 * Encodes strings as UTF-8 into large slabs and hands out views of them: what a queue keeps for up to a
 * second lives outside V8's heap (the collector neither copies nor promotes it), and a slab is allocated
 * once per many queries rather than once per piece (`Buffer.from` allocates a pooled 8 KiB slab, or an
 * own buffer from 4 KiB, and each allocation was measurable per query: docs/BENCHMARKS.md). A slab is
 * freed when the last view of it is; views are queued and sent in order, so slabs are freed in order.
 */
export class ByteArena {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly slabBytes = 1024 * 1024) {}

  encode(text: string): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: a piece that might not fit gets a fresh slab, and a
    // piece too large to share one gets its own buffer.
    const worstCase = text.length * 3;
    if (this.slab.length - this.used < worstCase) {
      if (worstCase > this.slabBytes / 8) return Buffer.from(text);
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.used = 0;
    }
    const start = this.used;
    this.used += this.slab.write(text, start);
    return this.slab.subarray(start, this.used);
  }
}
