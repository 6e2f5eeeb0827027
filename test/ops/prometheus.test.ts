import { describe, expect, it } from 'vitest';
import { alertRules, listRepoFiles, readRepoFile, readYaml, ruleFilePaths } from './files.js';
import { expectSuccess } from './run.js';

interface RuleTestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function readmeAnchors(): Set<string> {
  const headings = readRepoFile('README.md').match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('prometheus config and rules', () => {
  it('passes promtool check config and loads every listed rule file', async () => {
    const { stdout } = await expectSuccess('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    // A rule_files entry that matches nothing passes silently; the count catches it.
    expect(stdout).toContain(`SUCCESS: ${ruleFilePaths().length} rule files found`);
  });

  it('passes promtool check rules', async () => {
    await expectSuccess('promtool', ['check', 'rules', ...ruleFilePaths()]);
  });

  it('passes promtool test rules', async () => {
    await expectSuccess('promtool', ['test', 'rules', ...listRepoFiles('prometheus/tests', '.yml')]);
  });

  it('gives every alert a severity, a summary, a description and a runbook that exists', () => {
    const anchors = readmeAnchors();
    for (const rule of alertRules()) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      for (const key of ['summary', 'description', 'runbook']) {
        expect(rule.annotations?.[key]?.trim(), `${rule.alert} ${key}`).toBeTruthy();
      }
      const anchor = /README\.md#([\w-]+)/.exec(rule.annotations?.runbook ?? '')?.[1];
      expect(anchor, `${rule.alert} runbook anchor`).toBeDefined();
      expect(anchors.has(anchor as string), `README.md has no heading for #${anchor}`).toBe(true);
    }
  });

  it('tests every alert both firing and not firing', () => {
    const cases = listRepoFiles('prometheus/tests', '.yml').flatMap((path) =>
      readYaml<RuleTestFile>(path).tests.flatMap((test) => test.alert_rule_test ?? []),
    );
    for (const { alert } of alertRules()) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(own.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} has no firing case`).toBe(true);
      expect(own.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} has no quiet case`).toBe(true);
    }
  });
});
