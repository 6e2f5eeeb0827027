/**
 * Records every unhandled rejection while installed. The Gemini SDK's streams are known to leave one
 * behind (notes/gemini.md, trap 2); vitest would report it only as a stray error after the run, not
 * against the case that caused it.
 */
export function watchUnhandledRejections() {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  return {
    seen,
    stop: () => void process.off('unhandledRejection', listener),
  };
}
