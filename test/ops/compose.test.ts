import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/index.js';
import { readRepoFile, readYaml } from './files.js';
import { expectExit, expectSuccess, runBinary } from './run.js';

const composeFiles = ['docker-compose.langfuse.yml', 'docker-compose.observability.yml'];
const tempDir = mkdtempSync(join(tmpdir(), 'compose-env-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function envExampleKeys(): Set<string> {
  const keys = readRepoFile('.env.example').match(/^\s*#?\s*[A-Z][A-Z0-9_]*=/gm) ?? [];
  return new Set(keys.map((key) => key.replace(/^[\s#]*/, '').replace('=', '')));
}

/** The file without its comment lines, which quote variables as examples. */
function composeCode(file: string): string {
  return readRepoFile(file).replace(/^\s*#.*$/gm, '');
}

/** Variables the file refuses to run without: `${NAME:?message}`. */
function requiredVariables(file: string): string[] {
  return [...new Set([...composeCode(file).matchAll(/\$\{(\w+):\?/g)].map((match) => match[1] as string))];
}

/** Writes .env.example without one variable; docker-compose must not find it anywhere else. */
function envFileWithout(name: string): string {
  const path = join(tempDir, `without-${name}.env`);
  const lines = readRepoFile('.env.example').split('\n').filter((line) => !line.startsWith(`${name}=`));
  writeFileSync(path, lines.join('\n'));
  return path;
}

// A clean environment: CI or a developer shell may export the same names.
const cleanEnv = {};

describe.each(composeFiles)('%s', (file) => {
  it('is valid with the placeholder values of .env.example', async () => {
    await expectSuccess('docker-compose', ['-f', file, '--env-file', '.env.example', 'config', '-q'], { env: cleanEnv });
  });

  it('declares required secrets with ${VAR:?…} so that a missing one stops compose', () => {
    expect(requiredVariables(file).length).toBeGreaterThan(0);
  });

  it.each(requiredVariables(file))('fails naming %s when it is unset', async (name) => {
    const result = await runBinary('docker-compose', ['-f', file, '--env-file', envFileWithout(name), 'config', '-q'], {
      env: cleanEnv,
    });
    expectExit(result, 1);
    expect(result.stderr).toContain(`set ${name}`);
  });

  it('pins every image to a version, never latest', () => {
    const services = readYaml<{ services: Record<string, { image?: string; build?: unknown }> }>(file).services;
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      const image = service.image ?? '';
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      expect(tag, `${name}: ${image} has no tag`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toBe('latest');
    }
  });

  it('documents every variable it reads in .env.example', () => {
    const documented = envExampleKeys();
    const used = [...composeCode(file).matchAll(/\$\{(\w+)/g)].map((match) => match[1] as string);
    for (const name of used) expect(documented.has(name), `${name} missing from .env.example`).toBe(true);
  });
});

describe('.env.example', () => {
  it('lists every variable the API reads', () => {
    const documented = envExampleKeys();
    for (const name of Object.keys(envSchema.shape)) {
      expect(documented.has(name), `${name} missing from .env.example`).toBe(true);
    }
  });
});
