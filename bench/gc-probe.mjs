// Preloaded into the service by `bench/hung.ts --probe` (with --expose-gc): on SIGUSR2 it forces a full
// garbage collection and logs the heap before and after, to tell what the process holds from garbage V8
// has not collected yet.
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.();
  const after = process.memoryUsage();
  const mb = (bytes) => Math.round(bytes / 1048576);
  process.stderr.write(`\nGC_PROBE heapUsed ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB, rss ${mb(after.rss)} MB, external ${mb(after.external)} MB\n`);
});
