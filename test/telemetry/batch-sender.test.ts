import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBatchSender } from '../../src/telemetry/support/batch-sender.js';

const options = { maxQueued: 5, batchSize: 3, intervalMs: 20, maxConcurrent: 1 };

function recorder(delay?: (batch: number[]) => Promise<void>) {
  const batches: number[][] = [];
  const dropped: number[] = [];
  const abandoned: number[][] = [];
  const callbacks = {
    post: async (batch: number[]) => {
      batches.push(batch);
      await delay?.(batch);
    },
    dropped: (item: number) => void dropped.push(item),
    abandoned: (batch: number[]) => void abandoned.push(batch),
  };
  return { batches, dropped, abandoned, callbacks };
}

// Fake timers: the interval and the flush deadline are checked to the millisecond, whatever the load.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createBatchSender', () => {
  it('sends a full batch at once and a partial one after the interval, never in the caller’s tick', async () => {
    const { batches, callbacks } = recorder();
    const sender = createBatchSender(options, callbacks);
    [1, 2, 3, 4].forEach((item) => sender.enqueue(item));
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(options.intervalMs - 1);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('drops new items beyond maxQueued while a post is stuck, and flush abandons the rest at its timeout', async () => {
    const { batches, dropped, abandoned, callbacks } = recorder(() => new Promise<void>(() => {}));
    const sender = createBatchSender(options, callbacks);
    [1, 2, 3].forEach((item) => sender.enqueue(item));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    [4, 5, 6, 7, 8, 9, 10].forEach((item) => sender.enqueue(item));
    expect(dropped).toEqual([9, 10]);
    expect(sender.queued).toBe(5);
    let flushed = false;
    const flushing = sender.flush(100).then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(flushed).toBe(false);
    expect(abandoned).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await flushing;
    expect(batches.slice(1)).toEqual([[4, 5, 6], [7, 8]]);
    expect(abandoned).toEqual([[1, 2, 3], [4, 5, 6], [7, 8]]);
    expect(sender.inFlight).toBe(0);
  });

  it('also bounds the queue in bytes, but always takes one item', () => {
    const { dropped, callbacks } = recorder();
    const sender = createBatchSender({ ...options, maxQueued: 100, maxQueuedBytes: 250, batchSize: 100 }, { ...callbacks, sizeOf: (item) => item });
    [100, 100, 60, 50, 10].forEach((item) => sender.enqueue(item));
    expect(dropped).toEqual([60, 10]);
    expect(sender.queuedBytes).toBe(250);
    const alone = createBatchSender({ ...options, maxQueuedBytes: 250 }, { ...callbacks, sizeOf: (item) => item });
    alone.enqueue(300);
    expect(alone.queuedBytes).toBe(300);
  });

  it('sends a partial batch one interval after the first item that waits for it, however many follow', async () => {
    const { batches, callbacks } = recorder();
    const sender = createBatchSender(options, callbacks);
    sender.enqueue(1);
    await vi.advanceTimersByTimeAsync(10);
    sender.enqueue(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toEqual([[1, 2]]);
    await vi.advanceTimersByTimeAsync(1);
    sender.enqueue(3);
    // Item 3 waits a whole interval of its own, not what is left of an earlier item's.
    await vi.advanceTimersByTimeAsync(options.intervalMs - 1);
    expect(batches).toEqual([[1, 2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('waits for a busy slot without polling: no timer runs while a post is stuck, nor once the queue is empty', async () => {
    let finishPost = () => undefined as void;
    const { batches, callbacks } = recorder(() => new Promise<void>((resolve) => (finishPost = resolve)));
    const sender = createBatchSender(options, callbacks);
    sender.enqueue(1);
    await vi.advanceTimersByTimeAsync(options.intervalMs);
    expect(batches).toEqual([[1]]);
    [2, 3, 4, 5].forEach((item) => sender.enqueue(item));
    await vi.advanceTimersByTimeAsync(options.intervalMs * 5);
    expect(batches).toEqual([[1]]);
    expect(sender.inFlight).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    // The post that finishes schedules the next batch.
    finishPost();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    finishPost();
    await vi.advanceTimersByTimeAsync(options.intervalMs);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    finishPost();
    await vi.advanceTimersByTimeAsync(0);
    expect(sender.inFlight).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never has more posts in flight than maxConcurrent, even when a partial batch’s interval ends meanwhile', async () => {
    const { batches, callbacks } = recorder(() => new Promise<void>(() => {}));
    const sender = createBatchSender(options, callbacks);
    sender.enqueue(1);
    [2, 3].forEach((item) => sender.enqueue(item));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    sender.enqueue(4);
    await vi.advanceTimersByTimeAsync(options.intervalMs * 2);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(sender.inFlight).toBe(1);
    expect(sender.queued).toBe(1);
  });

  it('frees the bytes of what it sent, and takes alone an item larger than the byte bound', async () => {
    const { batches, dropped, callbacks } = recorder();
    const sender = createBatchSender({ ...options, maxQueued: 100, maxQueuedBytes: 250, batchSize: 100 }, { ...callbacks, sizeOf: (item) => item });
    sender.enqueue(200);
    await vi.advanceTimersByTimeAsync(options.intervalMs);
    expect(batches).toEqual([[200]]);
    expect(sender.queuedBytes).toBe(0);
    sender.enqueue(240);
    expect(dropped).toEqual([]);
    await vi.advanceTimersByTimeAsync(options.intervalMs);
    sender.enqueue(300);
    expect(sender.queued).toBe(1);
    expect(sender.queuedBytes).toBe(300);
    await vi.advanceTimersByTimeAsync(options.intervalMs);
    expect(batches).toEqual([[200], [240], [300]]);
    expect(dropped).toEqual([]);
  });

  it('flush sends everything queued and waits for the posts', async () => {
    const { batches, abandoned, callbacks } = recorder(() => new Promise((resolve) => setTimeout(resolve, 30)));
    const sender = createBatchSender({ ...options, intervalMs: 60_000 }, callbacks);
    [1, 2].forEach((item) => sender.enqueue(item));
    const flushing = sender.flush(1000);
    await vi.advanceTimersByTimeAsync(30);
    await flushing;
    expect(batches).toEqual([[1, 2]]);
    expect(sender.inFlight).toBe(0);
    expect(abandoned).toEqual([]);
  });
});
