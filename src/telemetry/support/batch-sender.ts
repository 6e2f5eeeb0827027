import { createPendingWork } from './pending-work.js';

export interface BatchSenderOptions {
  /** Items waiting to be sent; beyond it new items are dropped, so a slow sink cannot grow memory. */
  maxQueued: number;
  /** The same bound in bytes, as measured by `sizeOf`. */
  maxQueuedBytes?: number;
  /** Items per post: a full batch is sent at once, a partial one after `intervalMs`. */
  batchSize: number;
  intervalMs: number;
  /** Posts in flight at once; further batches wait in the queue. */
  maxConcurrent: number;
}

export interface BatchSenderCallbacks<T> {
  /** Sends one batch and reports its own failures, unless `abandoned` is aborted by then. Must not reject. */
  post(batch: T[], abandoned: AbortSignal): Promise<void>;
  /** An item turned away by a full queue. */
  dropped(item: T): void;
  /** A batch still in flight when a flush gave up on it. */
  abandoned(batch: T[]): void;
  /** Approximate memory an item holds while queued; 0 when not given. */
  sizeOf?(item: T): number;
}

/**
 * Queues items and hands them to `post` in batches, on a timer rather than in the caller's tick, so the
 * cost of building and sending a batch is paid after the response has gone out.
 */
export function createBatchSender<T>(options: BatchSenderOptions, callbacks: BatchSenderCallbacks<T>) {
  const queue: Array<{ item: T; bytes: number }> = [];
  let queuedBytes = 0;
  const inFlight = createPendingWork();
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;

  function schedule() {
    // With every slot busy, the post that finishes first schedules the next batch.
    if (queue.length === 0 || inFlight.size >= options.maxConcurrent) return;
    if (queue.length >= options.batchSize) {
      immediate ??= setImmediate(() => {
        immediate = undefined;
        drain(false);
      });
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        drain(false);
      }, options.intervalMs).unref();
    }
  }

  function drain(all: boolean) {
    while (queue.length > 0 && (all || inFlight.size < options.maxConcurrent)) {
      const batch = queue.splice(0, options.batchSize).map(({ item, bytes }) => {
        queuedBytes -= bytes;
        return item;
      });
      void inFlight
        .track((abandoned) => callbacks.post(batch, abandoned), () => callbacks.abandoned(batch))
        .then(schedule, schedule);
    }
    schedule();
  }

  return {
    enqueue(item: T) {
      const bytes = callbacks.sizeOf?.(item) ?? 0;
      // A full queue turns the new item away, as OpenTelemetry's batch processor does: pushing out the
      // oldest instead would turn a long-lived (old-generation) item into garbage for every new one,
      // which during an outage grows the heap far beyond the bound. One item is always taken.
      const full = queue.length >= options.maxQueued || (queue.length > 0 && queuedBytes + bytes > (options.maxQueuedBytes ?? Infinity));
      if (full) return callbacks.dropped(item);
      queue.push({ item, bytes });
      queuedBytes += bytes;
      schedule();
    },
    /** Sends everything queued and waits for every post, but never longer than `timeoutMs`. */
    async flush(timeoutMs: number): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      drain(true);
      await inFlight.settle(timeoutMs);
    },
    get queued() {
      return queue.length;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
