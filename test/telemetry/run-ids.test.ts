import { describe, expect, it } from 'vitest';
import { runIdFromSpan } from '../../src/telemetry/sinks/langsmith/ids.js';

// Run ids are UUID v7 built from the start time, the span id and the trace id: the same inputs always give
// the same id, and the trace id's first digit sets the variant's two free bits.
describe('LangSmith run ids', () => {
  const startedAt = Date.UTC(2026, 10, 26, 12, 0);

  it('puts the start time, version 7, the span id and two trace digits in their places', () => {
    expect(runIdFromSpan(startedAt, 'b7ad6b7169203331', '0af7651916cd43dd8448eb211c80319c')).toBe('01a217ba-1200-7b7a-8d6b-7169203331af');
    expect(runIdFromSpan(startedAt, 'b7ad6b7169203331', 'f1e2d3c4b5a6978877665544332211ff')).toBe('01a217ba-1200-7b7a-bd6b-71692033311e');
  });

  it('rounds a fractional start time down and clamps a negative one to the epoch', () => {
    expect(runIdFromSpan(startedAt + 0.9, 'b7ad6b7169203331', '0af7651916cd43dd8448eb211c80319c')).toBe('01a217ba-1200-7b7a-8d6b-7169203331af');
    expect(runIdFromSpan(-5, 'b7ad6b7169203331', '0af7651916cd43dd8448eb211c80319c')).toBe('00000000-0000-7b7a-8d6b-7169203331af');
  });
});
