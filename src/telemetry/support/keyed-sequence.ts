/**
 * Runs tasks with the same key one after another, so that a replacing vote cannot reach a sink before
 * the vote it replaces. Keys with nothing in flight are forgotten, which keeps the map small.
 */
export function createKeyedSequence() {
  const tails = new Map<string, Promise<void>>();
  return (key: string, task: () => Promise<void>): Promise<void> => {
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(task);
    tails.set(key, run);
    const forget = () => {
      if (tails.get(key) === run) tails.delete(key);
    };
    run.then(forget, forget);
    return run;
  };
}
