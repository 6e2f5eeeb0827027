import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('prompt settings', () => {
  it('reads a label, a pinned version, the cache TTL and weighted variants', () => {
    expect(loadConfig({ PROMPT_LABEL: 'staging', PROMPT_CACHE_TTL_SECONDS: '5' }).prompts).toEqual({
      version: undefined,
      variants: [{ label: 'staging', weight: 100 }],
      cacheTtlSeconds: 5,
    });
    expect(loadConfig({ PROMPT_VERSION: '1' }).prompts.version).toBe(1);
    // The reference chapter writes the version as v1, v2.
    expect(loadConfig({ PROMPT_VERSION: 'v2' }).prompts.version).toBe(2);
    expect(loadConfig({ PROMPT_VERSION: '' }).prompts.version).toBeUndefined();
    expect(loadConfig({ PROMPT_VARIANTS: 'production:70, candidate:30' }).prompts.variants).toEqual([
      { label: 'production', weight: 70 },
      { label: 'candidate', weight: 30 },
    ]);
  });

  it.each([
    [{ PROMPT_VARIANTS: 'production' }, /PROMPT_VARIANTS: "production" is not label:weight/],
    [{ PROMPT_VARIANTS: 'a:50,a:50' }, /PROMPT_VARIANTS: label "a" is listed twice/],
    [{ PROMPT_VARIANTS: 'a:0,b:1' }, /PROMPT_VARIANTS: weight of "a" must be 1\.\.1000000/],
    [{ PROMPT_VARIANTS: 'a:1,b:1', PROMPT_VERSION: '2' }, /PROMPT_VERSION\/PROMPT_VARIANTS: a pinned version cannot be split/],
    [{ PROMPT_VERSION: 'two' }, /PROMPT_VERSION/],
    [{ PROMPT_CACHE_TTL_SECONDS: '0' }, /PROMPT_CACHE_TTL_SECONDS/],
    [{ PROMPT_LABEL: 'Prod Label' }, /PROMPT_LABEL/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
