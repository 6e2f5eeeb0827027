/**
 * Background sends that a flush may wait for, up to a deadline. What is still running at the deadline is
 * abandoned: counted at once through its `onAbandon` (while the logger is still open) and flagged, so
 * that when it fails later it does not report a second time, after shutdown.
 */
export function createPendingWork() {
  const pending = new Map<Promise<void>, { controller: AbortController; onAbandon: () => void }>();

  return {
    /** `work` gets a signal that is aborted if it is abandoned; it must not reject. */
    track(work: (abandoned: AbortSignal) => Promise<void>, onAbandon: () => void): Promise<void> {
      const controller = new AbortController();
      const running: Promise<void> = work(controller.signal).finally(() => pending.delete(running));
      pending.set(running, { controller, onAbandon });
      return running;
    },
    /** Resolves when everything tracked has finished, or at `timeoutMs`, abandoning what has not. */
    async settle(timeoutMs: number): Promise<void> {
      if (pending.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([Promise.all([...pending.keys()]), deadline]);
      clearTimeout(timer);
      if (outcome !== 'timeout') return;
      for (const [running, { controller, onAbandon }] of pending) {
        pending.delete(running);
        controller.abort();
        onAbandon();
      }
    },
    get size() {
      return pending.size;
    },
  };
}
