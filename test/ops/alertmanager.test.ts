import { describe, expect, it } from 'vitest';
import { readRepoFile, readYaml } from './files.js';
import { expectExit, expectSuccess, runBinary } from './run.js';

interface RouteCase {
  line: string;
  receivers: string;
  labels: string[];
  mustMatch: boolean;
}

/** alertmanager/routes-tests.txt: `[!]receivers label=value…` per line, # comments. */
function routeCases(): RouteCase[] {
  return readRepoFile('alertmanager/routes-tests.txt')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [first = '', ...labels] = line.split(/\s+/);
      const mustMatch = !first.startsWith('!');
      return { line, receivers: first.replace(/^!/, ''), labels, mustMatch };
    });
}

function routeTest(receivers: string, labels: string[]) {
  return runBinary('amtool', [
    'config',
    'routes',
    'test',
    '--config.file=alertmanager.yml',
    `--verify.receivers=${receivers}`,
    ...labels,
  ]);
}

describe('alertmanager', () => {
  it('passes amtool check-config', async () => {
    await expectSuccess('amtool', ['check-config', 'alertmanager.yml']);
  });

  it('has route cases that expect a match and cases that expect none', () => {
    const cases = routeCases();
    expect(cases.filter((c) => c.mustMatch).length).toBeGreaterThan(0);
    expect(cases.filter((c) => !c.mustMatch).length).toBeGreaterThan(0);
  });

  it.each(routeCases().map((c) => [c.line, c]))('routes %s', async (_line, routeCase) => {
    const result = await routeTest(routeCase.receivers, routeCase.labels);
    expectExit(result, routeCase.mustMatch ? 0 : 1);
  });

  it('fails a route test whose receivers are wrong (the harness can fail)', async () => {
    const result = await routeTest('email', ['alertname=HighLLMLatency', 'severity=warning']);
    expectExit(result, 1);
  });

  it('keeps secrets out of the file and reads them from compose secrets', () => {
    const text = readRepoFile('alertmanager.yml');
    // Inline forms of the secrets; only the *_file variants are allowed.
    expect(text).not.toMatch(/^\s*(api_url|slack_api_url|auth_password|smtp_auth_password):/m);
    const files = [...text.matchAll(/_file:\s*(\S+)/g)].map((match) => match[1] as string);
    expect(files.length).toBeGreaterThan(0);
    const compose = readYaml<{ services: { alertmanager: { secrets: string[] } } }>('docker-compose.observability.yml');
    for (const file of files) {
      const name = /^\/run\/secrets\/([\w-]+)$/.exec(file)?.[1];
      expect(name, `${file} is not a compose secret path`).toBeDefined();
      expect(compose.services.alertmanager.secrets).toContain(name);
    }
  });

  it('inhibits the other alerts of a job while ServiceDown fires for it', () => {
    const config = readYaml<{ inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] }>(
      'alertmanager.yml',
    );
    expect(config.inhibit_rules).toContainEqual({
      source_matchers: ['alertname="ServiceDown"'],
      target_matchers: ['alertname!="ServiceDown"'],
      equal: ['job'],
    });
  });
});
