export interface BatchSenderOptions {
  /** Items waiting to be sent; beyond it the oldest is dropped, so a slow sink cannot grow memory. */
  maxQueued: number;
  /** Items per post: a full batch is sent at once, a partial one after `intervalMs`. */
  batchSize: number;
  intervalMs: number;
  /** Posts in flight at once; further batches wait in the queue. */
  maxConcurrent: number;
}

/**
 * Queues items and hands them to `post` in batches, on a timer rather than in the caller's tick, so the
 * cost of building and sending a batch is paid after the response has gone out. `post` must not reject;
 * it reports its own failures.
 */
export function createBatchSender<T>(options: BatchSenderOptions, post: (batch: T[]) => Promise<void>, onDrop: (item: T) => void) {
  const queue: T[] = [];
  const inFlight = new Set<Promise<void>>();
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
      const sending: Promise<void> = post(queue.splice(0, options.batchSize)).finally(() => {
        inFlight.delete(sending);
        schedule();
      });
      inFlight.add(sending);
    }
    schedule();
  }

  return {
    enqueue(item: T) {
      if (queue.length >= options.maxQueued) onDrop(queue.shift() as T);
      queue.push(item);
      schedule();
    },
    /** Sends everything queued and waits for every post, but never longer than `timeoutMs`. */
    async flush(timeoutMs: number): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      drain(true);
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, timeoutMs);
          deadline.unref();
        }),
      ]);
      clearTimeout(deadline);
    },
    get queued() {
      return queue.length;
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
