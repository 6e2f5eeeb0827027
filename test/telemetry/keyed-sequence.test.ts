import { describe, expect, it } from 'vitest';
import { createKeyedSequence } from '../../src/telemetry/support/keyed-sequence.js';

/** A task that records when it starts and finishes, and ends when the test says so. */
function task(name: string, log: string[], fail = false) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      if (fail) throw new Error(`${name} failed`);
    },
    finish,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('keyed sequence', () => {
  it('runs tasks of one key one after another, and tasks of different keys side by side', async () => {
    const inOrder = createKeyedSequence();
    const log: string[] = [];
    const [first, second, other] = [task('a1', log), task('a2', log), task('b1', log)];
    const runs = [inOrder('a', first.run), inOrder('a', second.run), inOrder('b', other.run)];
    await settle();
    expect(log).toEqual(['start a1', 'start b1']);
    first.finish();
    await settle();
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2']);
    second.finish();
    other.finish();
    await Promise.all(runs);
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2', 'end a2', 'end b1']);
  });

  it('still runs the next task of a key after one fails, and hands each caller its own outcome', async () => {
    const inOrder = createKeyedSequence();
    const log: string[] = [];
    const [failing, next] = [task('a1', log, true), task('a2', log)];
    const failed = inOrder('a', failing.run);
    const following = inOrder('a', next.run);
    failing.finish();
    await expect(failed).rejects.toThrow('a1 failed');
    next.finish();
    await expect(following).resolves.toBeUndefined();
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2']);
  });

  it('keeps a key in order when a task joins while a later one is still running', async () => {
    const inOrder = createKeyedSequence();
    const log: string[] = [];
    const [first, second, third] = [task('a1', log), task('a2', log), task('a3', log)];
    const runs = [inOrder('a', first.run), inOrder('a', second.run)];
    first.finish();
    await settle();
    expect(log).toEqual(['start a1', 'end a1', 'start a2']);
    runs.push(inOrder('a', third.run));
    await settle();
    expect(log).toEqual(['start a1', 'end a1', 'start a2']);
    second.finish();
    third.finish();
    await Promise.all(runs);
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
  });
});
