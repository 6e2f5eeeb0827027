import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ByteArena } from '../../src/telemetry/support/byte-arena.js';

afterEach(() => vi.restoreAllMocks());

describe('ByteArena', () => {
  it('encodes each piece as UTF-8 into one shared slab, back to back', () => {
    const arena = new ByteArena(1024);
    const first = arena.encode('{"a":"é€😀"}');
    const second = arena.encode('[1]');
    expect(first.toString('utf8')).toBe('{"a":"é€😀"}');
    expect(first).toHaveLength(Buffer.byteLength('{"a":"é€😀"}'));
    expect(second.toString('utf8')).toBe('[1]');
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset + first.length);
  });

  it('starts a new slab when a piece might not fit (3 bytes a character), leaving earlier views intact', () => {
    const arena = new ByteArena(3000);
    // 28 pieces of 100 bytes leave 200 bytes: enough for the next 100 ASCII characters, but not for the 300
    // bytes they could take.
    const pieces = Array.from({ length: 29 }, (_, n) => arena.encode(String(n).padStart(100, '-')));
    expect(new Set(pieces.slice(0, 28).map((view) => view.buffer)).size).toBe(1);
    expect(pieces[28]!.buffer).not.toBe(pieces[0]!.buffer);
    expect(pieces[28]!.byteOffset).toBe(0);
    expect(pieces.map((view) => view.toString())).toEqual(Array.from({ length: 29 }, (_, n) => String(n).padStart(100, '-')));
  });

  it('gives a piece that does not fit and is larger than an eighth of a slab its own buffer, and keeps filling the slab', () => {
    const arena = new ByteArena(1024);
    // 22 pieces of 42 characters (at most 126 bytes each) leave 100 bytes.
    const filled = Array.from({ length: 22 }, () => arena.encode('a'.repeat(42)));
    const large = arena.encode('b'.repeat(43));
    const next = arena.encode('c');
    expect(large.buffer).not.toBe(filled[0]!.buffer);
    expect(large.toString()).toBe('b'.repeat(43));
    expect(next.buffer).toBe(filled[0]!.buffer);
    expect(next.byteOffset).toBe(filled[0]!.byteOffset + 22 * 42);
  });

  it('writes several pieces back to back as one view, and judges their room by their sum', () => {
    const arena = new ByteArena(1024);
    const first = arena.encode('["', '€'.repeat(10), '"]');
    expect(first.toString()).toBe(`["${'€'.repeat(10)}"]`);
    expect(first).toHaveLength(34);
    // 34 + 21 pieces of 42 bytes leave 108 bytes: room for either of the next two pieces (60 bytes at
    // most each), not for both.
    const filled = Array.from({ length: 21 }, () => arena.encode('a'.repeat(42)));
    expect(filled[20]!.buffer).toBe(first.buffer);
    const pair = arena.encode('x'.repeat(20), 'y'.repeat(20));
    expect(pair.buffer).not.toBe(first.buffer);
    expect(pair.byteOffset).toBe(0);
    expect(pair.toString()).toBe(`${'x'.repeat(20)}${'y'.repeat(20)}`);
  });

  it('takes 1 MiB slabs by default', () => {
    const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
    new ByteArena().encode('x');
    expect(slabs.mock.calls).toEqual([[1024 * 1024]]);
  });

  it('takes a fresh slab for pieces of exactly an eighth of a slab, and its own buffer (pieces joined) only beyond', () => {
    const arena = new ByteArena(1536);
    // 22 pieces of 64 characters (up to 192 bytes, an eighth) fill 1408 bytes and leave 128.
    const filled = Array.from({ length: 22 }, () => arena.encode('a'.repeat(64)));
    const eighth = arena.encode('b'.repeat(32), 'c'.repeat(32));
    expect(eighth.buffer).not.toBe(filled[0]!.buffer);
    expect(eighth.byteOffset).toBe(0);
    const after = arena.encode('z');
    expect([after.buffer === eighth.buffer, after.byteOffset]).toEqual([true, 64]);
    const beyond = new ByteArena(1536);
    const slab = Array.from({ length: 22 }, () => beyond.encode('a'.repeat(64)))[0]!.buffer;
    const own = beyond.encode('b'.repeat(32), 'c'.repeat(33));
    expect(own.buffer).not.toBe(slab);
    expect(own.toString()).toBe(`${'b'.repeat(32)}${'c'.repeat(33)}`);
    const next = beyond.encode('d');
    expect([next.buffer === slab, next.byteOffset]).toEqual([true, 22 * 64]);
  });

  describe('slabs written anew (releaseBefore)', () => {
    // A 2400-byte slab takes exactly 8 pieces of 100 three-byte characters (300 bytes, an eighth), so a
    // ninth starts the next slab.
    const slabBytes = 2400;
    const piece = (symbol: string) => symbol.repeat(100);
    const fillSlab = (arena: ByteArena, symbol: string) => Array.from({ length: 8 }, () => arena.encode(piece(symbol)));

    it('marks positions by slab: the first slab is 0, each later slab one more', () => {
      const arena = new ByteArena(slabBytes);
      expect(arena.position()).toBe(0);
      fillSlab(arena, '€');
      expect(arena.position()).toBe(0);
      arena.encode(piece('₤'));
      expect(arena.position()).toBe(1);
      fillSlab(arena, '₩');
      expect(arena.position()).toBe(2);
    });

    it('writes a released slab anew instead of allocating, and leaves views after the mark intact', () => {
      const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
      const arena = new ByteArena(slabBytes);
      const [first] = fillSlab(arena, '€');
      const kept = arena.encode(piece('₤'));
      expect(kept.buffer).not.toBe(first!.buffer);
      arena.releaseBefore(arena.position());
      // The second slab fills; the next is the released first one, written from its start, with no allocation.
      const refilled = fillSlab(arena, '₩');
      expect(refilled.map((view) => view.buffer === first!.buffer)).toEqual([false, false, false, false, false, false, false, true]);
      expect(refilled[7]!.byteOffset).toBe(first!.byteOffset);
      expect(first!.toString()).toBe(piece('₩'));
      expect(kept.toString()).toBe(piece('₤'));
      expect(slabs).toHaveBeenCalledTimes(2);
    });

    it('keeps the slab of the mark and every later one, and releases nothing before a slab is filled', () => {
      const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
      const arena = new ByteArena(slabBytes);
      arena.releaseBefore(arena.position());
      const first = fillSlab(arena, '€');
      arena.releaseBefore(arena.position());
      const second = fillSlab(arena, '₤');
      expect(second[0]!.buffer).not.toBe(first[0]!.buffer);
      // A mark in the first slab: the first slab is still read, so the third is a fresh one.
      arena.releaseBefore(0);
      const third = arena.encode(piece('₩'));
      expect([third.buffer === first[0]!.buffer, third.buffer === second[0]!.buffer]).toEqual([false, false]);
      expect(slabs).toHaveBeenCalledTimes(3);
      expect([first.map(String), second.map(String)]).toEqual([Array(8).fill(piece('€')), Array(8).fill(piece('₤'))]);
    });

    it('keeps at most the spare slabs given (the first released) and leaves the rest to the collector', () => {
      const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
      const arena = new ByteArena(slabBytes, 1);
      const filled = ['€', '₤', '₩'].map((symbol) => fillSlab(arena, symbol)[0]!.buffer);
      arena.encode(piece('₪'));
      arena.releaseBefore(arena.position());
      fillSlab(arena, '₫');
      const next = [arena.encode(piece('₭')), ...fillSlab(arena, '₭').slice(1), arena.encode(piece('₮'))];
      // Three filled slabs were released and one of them kept: the first, reused; then a fresh one.
      expect(next[0]!.buffer).toBe(filled[0]);
      expect(filled).not.toContain(next[8]!.buffer);
      expect(slabs).toHaveBeenCalledTimes(5);
    });

    it('keeps two spare slabs by default, and writes the last one kept first', () => {
      const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
      const arena = new ByteArena(slabBytes);
      const filled = ['€', '₤', '₩'].map((symbol) => fillSlab(arena, symbol)[0]!.buffer);
      arena.encode(piece('₪'));
      arena.releaseBefore(arena.position());
      fillSlab(arena, '₫');
      // Each slab now starts with the last piece of the fill before it.
      const next = [fillSlab(arena, '₭')[0]!.buffer, fillSlab(arena, '₮')[0]!.buffer, arena.encode(piece('₯')).buffer];
      expect(next.map((buffer) => filled.indexOf(buffer))).toEqual([1, 0, -1]);
      expect(slabs).toHaveBeenCalledTimes(5);
    });

    it('holds a filled slab weakly: one whose views were all dropped is left to the collector, not written anew', async () => {
      v8.setFlagsFromString('--expose-gc');
      const collectGarbage = runInNewContext('gc') as () => void;
      const arena = new ByteArena(slabBytes);
      // Only weak references to the first slab's memory remain once its views are dropped.
      const firstSlab = new WeakRef(fillSlab(arena, '€')[0]!.buffer);
      const kept = arena.encode(piece('₤'));
      // A WeakRef's target lives at least until the job that made it ends.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
      expect(firstSlab.deref()).toBeUndefined();
      arena.releaseBefore(arena.position());
      const next = fillSlab(arena, '₩');
      expect([next[7]!.buffer === kept.buffer, next[7]!.byteOffset]).toEqual([false, 0]);
      expect(kept.toString()).toBe(piece('₤'));
    });

    it('tracks the last 256 filled slabs while nothing is released, and forgets older ones', () => {
      const slabs = vi.spyOn(Buffer, 'allocUnsafeSlow');
      const arena = new ByteArena(slabBytes);
      const firstViews = Array.from({ length: 300 }, (_, index) => fillSlab(arena, String.fromCharCode(0x4e00 + index))[0]!);
      arena.encode(piece('€'));
      arena.releaseBefore(arena.position());
      // Slabs 0-43 were forgotten; 44 and 45 are the first two released and kept, the later one written
      // first. Each slab after the current one starts with the last piece of the fill before it.
      const next = ['₤', '₩', '₪'].map((symbol) => fillSlab(arena, symbol)[7]!.buffer);
      expect(next.map((buffer) => firstViews.findIndex((view) => view.buffer === buffer))).toEqual([45, 44, -1]);
      expect(slabs).toHaveBeenCalledTimes(302);
    });
  });
});
