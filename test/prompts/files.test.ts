import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptVariables } from '../../src/agents/reasoner.js';
import { loadPromptFile, loadPromptFiles, PromptFileError } from '../../src/prompts/files.js';
import { clientFromFile, servePrompt } from '../../src/prompts/served.js';

const passages = [{ id: 'p1', title: 'Dense Passage Retrieval', year: 2020, summary: 'Dual encoders for retrieval.' }];
const research = loadPromptFiles().get('research-answer');
const render = (version: number) => {
  const entry = research?.versions[version - 1];
  if (!research || !entry) throw new Error(`no version ${version}`);
  return servePrompt(clientFromFile(research, entry, false), { version }, false).render(promptVariables('what is DPR?', passages));
};

function writePrompt(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'prompts-')), `${name}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('prompt files', () => {
  it('keep versions 1 and 2 of the research prompt, production on 2', () => {
    expect(research?.versions.map((entry) => [entry.version, entry.labels])).toEqual([
      [1, []],
      [2, ['production']],
    ]);
  });

  it('render the query and the numbered passages into every version, the system message apart', () => {
    expect(render(1)).toEqual({
      system: 'You are a research assistant helping with academic research.',
      prompt:
        'Query: what is DPR?\n\nRetrieved documents (1):\n[1] Dense Passage Retrieval (2020)\nDual encoders for retrieval.\n\n' +
        'Provide a comprehensive answer based on the above context.',
    });
    const v2 = render(2);
    expect(v2.system).toBe(
      'You are a research assistant. Answer only from the numbered papers provided, cite each claim as [n], and say so when the papers do not answer the question.',
    );
    expect(v2.prompt).toBe(
      'Papers:\n[1] Dense Passage Retrieval (2020)\nDual encoders for retrieval.\n\nQuestion: what is DPR?\n\n' +
        'Write a concise answer (at most 200 words) that cites the papers it uses as [n].',
    );
  });

  it('leave braces and HTML inside the filled values as they are', () => {
    const v2 = servePrompt(clientFromFile(research!, research!.versions[1]!, false), { version: 2 }, false);
    const { prompt } = v2.render({ query: 'what does {{x}} & <b> mean?', documents: '', document_count: '0' });
    expect(prompt).toContain('Question: what does {{x}} & <b> mean?');
  });

  it.each([
    ['a version out of order', 'name: p\ntype: chat\nversions:\n  - version: 2\n    messages: [{role: user, content: hi}]\n', 'versions.0.version: versions are numbered 1, 2, 3'],
    ['a missing message list', 'name: p\ntype: chat\nversions:\n  - version: 1\n', 'versions.0.messages'],
    ['an unknown role', 'name: p\ntype: chat\nversions:\n  - version: 1\n    messages: [{role: robot, content: hi}]\n', 'versions.0.messages.0.role'],
    ['a label on two versions', 'name: p\ntype: chat\nversions:\n  - version: 1\n    labels: [production]\n    messages: [{role: user, content: a}]\n  - version: 2\n    labels: [production]\n    messages: [{role: user, content: b}]\n', 'label "production" is on versions 1 and 2'],
    ['the reserved latest label', 'name: p\ntype: chat\nversions:\n  - version: 1\n    labels: [latest]\n    messages: [{role: user, content: a}]\n', 'versions.0.labels.0: "latest" is set by LangFuse'],
    ['a bad model parameter', 'name: p\ntype: chat\nversions:\n  - version: 1\n    config: {temperature: 7}\n    messages: [{role: user, content: a}]\n', 'versions.0.config.temperature'],
    ['an unknown field', 'name: p\ntype: chat\nversion: 1\nversions:\n  - version: 1\n    messages: [{role: user, content: a}]\n', '(file): Unrecognized key: "version"'],
    ['broken YAML', 'name: p\ntype: [chat\n', 'p.yaml: '],
  ])('fail on %s naming the file and the field', (_case, text, message) => {
    const path = writePrompt('p', text);
    expect(() => loadPromptFile(path)).toThrow(PromptFileError);
    expect(() => loadPromptFile(path)).toThrow(message);
    expect(() => loadPromptFile(path)).toThrow('p.yaml');
  });

  it('fail when the name differs from the file name', () => {
    const path = writePrompt('other', 'name: p\ntype: chat\nversions:\n  - version: 1\n    messages: [{role: user, content: a}]\n');
    expect(() => loadPromptFile(path)).toThrow('name: "p" must match the file name "other"');
  });
});
