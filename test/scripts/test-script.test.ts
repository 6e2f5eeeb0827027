import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/test.sh in a scratch copy of the repository, with stand-ins for the tool installer and for
// npx (tsc passes, vitest reports 3 passed tests), so that only the script's own logic is under test.
const scratchDirs: string[] = [];
afterEach(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runTestScript(toolsExitCode: number) {
  const root = mkdtempSync(join(tmpdir(), 'test-script-'));
  scratchDirs.push(root);
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'bin'));
  copyFileSync('scripts/test.sh', join(root, 'scripts/test.sh'));
  writeFileSync(join(root, 'scripts/ensure-test-tools.sh'), `echo "missing test tools: wrk" >&2\nexit ${toolsExitCode}\n`);
  const npx = join(root, 'bin/npx');
  writeFileSync(
    npx,
    '#!/usr/bin/env bash\nif [ "$1" = vitest ]; then echo \'{"numPassedTests":3,"numFailedTests":0}\' > reports/vitest.json; fi\nexit 0\n',
  );
  chmodSync(npx, 0o755);
  const run = spawnSync('bash', [join(root, 'scripts/test.sh')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH}` },
  });
  return { code: run.status, closingLine: run.stdout.trim().split('\n').at(-1) };
}

describe('scripts/test.sh', () => {
  it('fails, and counts one failed check, when the test tools cannot be installed', () => {
    expect(runTestScript(1)).toEqual({ code: 1, closingLine: '4 passed, 1 failed' });
  });

  it('passes when the tools are there and every check passes', () => {
    expect(runTestScript(0)).toEqual({ code: 0, closingLine: '5 passed, 0 failed' });
  });
});
