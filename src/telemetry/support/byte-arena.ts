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

  /**
   * The pieces' UTF-8, back to back, as one view. Pieces are written one by one: joining them first
   * would make V8 copy a large piece (a prompt) into a flat string before encoding it.
   */
  encode(...pieces: string[]): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: pieces that might not fit get a fresh slab, and
    // pieces too large to share one get their own buffer.
    let worstCase = 0;
    for (const piece of pieces) worstCase += piece.length * 3;
    if (this.slab.length - this.used < worstCase) {
      if (worstCase > this.slabBytes / 8) return Buffer.from(pieces.join(''));
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.used = 0;
    }
    const start = this.used;
    for (const piece of pieces) this.used += this.slab.write(piece, this.used);
    return this.slab.subarray(start, this.used);
  }
}
