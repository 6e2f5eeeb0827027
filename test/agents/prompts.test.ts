import { describe, expect, it } from 'vitest';
import { getPrompt, promptTemplates } from '../../src/agents/prompts.js';

const passages = [{ id: 'p1', title: 'Dense Passage Retrieval', year: 2020, summary: 'Dual encoders for retrieval.' }];

describe('versioned prompts', () => {
  it('keeps at least two versions of the research prompt so they can be compared', () => {
    expect(Object.keys(promptTemplates['research-answer'] ?? {}).map(Number)).toEqual(expect.arrayContaining([1, 2]));
  });

  it('renders the query and numbered passages in every version', () => {
    for (const version of [1, 2]) {
      const prompt = getPrompt({ name: 'research-answer', version }).render('what is DPR?', passages);
      expect(prompt).toContain('what is DPR?');
      expect(prompt).toContain('[1] Dense Passage Retrieval (2020)');
    }
  });

  it('versions differ, and v2 asks for citations', () => {
    const v1 = getPrompt({ name: 'research-answer', version: 1 });
    const v2 = getPrompt({ name: 'research-answer', version: 2 });
    expect(v1.system).not.toBe(v2.system);
    expect(v2.system).toMatch(/cite/i);
  });

  it('rejects an unknown version with the known ones listed', () => {
    expect(() => getPrompt({ name: 'research-answer', version: 99 })).toThrow(/research-answer@1, research-answer@2/);
  });
});
