import { describe, expect, it } from 'vitest';
import { loadConfig, splitPatterns } from '../../src/config/index.js';

describe('REDACT_PATTERNS', () => {
  it('splits on the commas between patterns, not on those inside a quantifier, class or group', () => {
    expect(splitPatterns('sk-[A-Za-z0-9]{16,}, \\d{3,5}-x ,[,;]+,(a|b,c),x\\,y')).toEqual([
      'sk-[A-Za-z0-9]{16,}',
      '\\d{3,5}-x',
      '[,;]+',
      '(a|b,c)',
      'x\\,y',
    ]);
  });

  it('compiles each pattern for global replacement', () => {
    const [pattern] = loadConfig({ REDACT_PATTERNS: 'sk-[a-z]{4,}' }).telemetry.redactPatterns;
    expect('a sk-abcd b sk-efghij'.replace(pattern as RegExp, '#')).toBe('a # b #');
  });
});
