import type { LlmCallRecord } from '../../../llm/types.js';
import type { TraceRecords } from './runs.js';
import type { AgentRecord } from '../../types.js';

interface Pending {
  agents: AgentRecord[];
  llmCalls: TraceRecords['llmCalls'];
}

export interface TraceBufferLimits {
  /** Unfinished traces kept at once; the oldest is dropped to admit a new one. */
  maxTraces: number;
  /** Records kept per trace; a runaway loop inside one request cannot grow memory without bound. */
  maxRecordsPerTrace: number;
}

/**
 * Collects the records of each trace until its root agent ends. Children end before their parents, so
 * the root's end means the trace is complete. A trace whose root never ends (a record emitted outside any
 * request) is eventually pushed out by newer ones and reported through `onDrop`.
 */
export function createTraceBuffer(limits: TraceBufferLimits, onDrop: (records: number) => void) {
  // A Map iterates in insertion order, which makes the first key the oldest trace.
  const pending = new Map<string, Pending>();

  function entry(traceId: string): Pending | undefined {
    let found = pending.get(traceId);
    if (!found) {
      if (pending.size >= limits.maxTraces) evictOldest();
      found = { agents: [], llmCalls: [] };
      pending.set(traceId, found);
    }
    if (found.agents.length + found.llmCalls.length >= limits.maxRecordsPerTrace) {
      onDrop(1);
      return undefined;
    }
    return found;
  }

  function evictOldest() {
    const [oldestId, oldest] = pending.entries().next().value as [string, Pending];
    pending.delete(oldestId);
    onDrop(oldest.agents.length + oldest.llmCalls.length);
  }

  return {
    addLlmCall(record: LlmCallRecord, parentSpanId: string | undefined) {
      entry(record.traceId)?.llmCalls.push({ record, parentSpanId });
    },
    /** Returns the finished trace when `record` is its root, taking it out of the buffer. */
    addAgent(record: AgentRecord): TraceRecords | undefined {
      if (!record.trace) {
        entry(record.traceId)?.agents.push(record);
        return undefined;
      }
      const collected = pending.get(record.traceId) ?? { agents: [], llmCalls: [] };
      pending.delete(record.traceId);
      return { root: record, agents: collected.agents, llmCalls: collected.llmCalls };
    },
    get size() {
      return pending.size;
    },
  };
}
