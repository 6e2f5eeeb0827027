/** Filled slabs tracked for reuse: far more than a sink's queue bound (4 MiB by default) can fill. */
const maxFilled = 256;

/**
 * Encodes strings as UTF-8 into large slabs and hands out views of them: what a queue keeps for up to a
 * second lives outside V8's heap (the collector neither copies nor promotes it), and a slab is allocated
 * once per many queries rather than once per piece (`Buffer.from` allocates a pooled 8 KiB slab, or an
 * own buffer from 4 KiB, and each allocation was measurable per query: docs/BENCHMARKS.md).
 *
 * Filled slabs are written anew once their owner says nothing in them is read any more
 * (`releaseBefore`), instead of being left to the collector: every fresh slab counts as external memory,
 * and V8 starts a full collection each time that grows by 64 MiB, which under load made the sinks cause
 * twice as many full collections as the queries themselves (docs/BENCHMARKS.md, "Slabs written anew").
 * The arena holds a filled slab weakly until then: a slab whose views were all dropped (a full queue
 * turns items away after encoding them) is still freed by the collector when its sink hangs.
 */
export class ByteArena {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;
  /** How many slabs were taken before the current one: the position of what is encoded next. */
  private taken = 0;
  /** Filled slabs that views may still read, oldest first, with their positions; at most `maxFilled`. */
  private readonly filled: Array<{ position: number; memory: WeakRef<ArrayBufferLike> }> = [];
  /** Filled slabs no longer read, kept to be written anew. */
  private readonly spare: Buffer[] = [];

  /** `spareSlabs`: how many released slabs are kept for reuse; beyond them they are left to the collector. */
  constructor(
    private readonly slabBytes = 1024 * 1024,
    private readonly spareSlabs = 2,
  ) {}

  /**
   * A mark of where the next bytes go: whatever is encoded from now on lies in this slab or later ones.
   * An owner keeps it with each item, to give its oldest unsent item's mark to `releaseBefore`.
   */
  position(): number {
    return this.taken;
  }

  /**
   * The owner reads no view encoded before `position` (a value `position()` returned) again: the slabs
   * filled before that mark may be written anew.
   */
  releaseBefore(position: number): void {
    while (this.filled.length > 0 && this.filled[0]!.position < position) {
      const memory = this.filled.shift()!.memory.deref();
      if (memory && this.spare.length < this.spareSlabs) this.spare.push(Buffer.from(memory, 0, this.slabBytes));
    }
  }

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
      this.nextSlab();
    }
    const start = this.used;
    for (const piece of pieces) this.used += this.slab.write(piece, this.used);
    return this.slab.subarray(start, this.used);
  }

  private nextSlab(): void {
    if (this.slab.length > 0) {
      this.filled.push({ position: this.taken, memory: new WeakRef(this.slab.buffer) });
      // While a sink hangs nothing is released: the oldest entries are forgotten (their slabs are left
      // to the collector) rather than kept for the whole outage.
      if (this.filled.length > maxFilled) this.filled.shift();
      this.taken += 1;
    }
    this.slab = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
    this.used = 0;
  }
}
