import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from './files.js';
import { repoRoot } from './run.js';

// There is no Docker daemon in CI, so the image is not built; these checks hold the Dockerfile to
// the decisions that matter: compiled in a build stage, production dependencies only, non-root, health-checked, same start
// command as `npm start`, and nothing secret in the build context.

const dockerfile = readRepoFile('Dockerfile');
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'));
const ignored = readRepoFile('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

describe('Dockerfile', () => {
  it('installs production dependencies in a separate stage', () => {
    expect(instructions.filter((line) => line.startsWith('FROM')).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=deps .*node_modules/);
  });

  it('compiles in a build stage with dev dependencies and ships only dist/', () => {
    expect(instructions).toContain('FROM ${NODE_IMAGE} AS build');
    expect(instructions).toContain('RUN npm run build');
    expect(instructions.some((line) => /^COPY --from=build .*\/app\/dist \.\/dist$/.test(line))).toBe(true);
    const runtime = instructions.slice(instructions.findIndex((line) => line.includes('AS runtime')));
    expect(runtime.filter((line) => /\bsrc\b/.test(line))).toEqual([]);
  });

  it('runs as the unprivileged node user', () => {
    const user = instructions.findLast((line) => line.startsWith('USER'));
    expect(user).toBe('USER node');
  });

  it('exposes 8000 and checks /healthz', () => {
    expect(instructions).toContain('EXPOSE 8000');
    expect(instructions.find((line) => line.startsWith('HEALTHCHECK'))).toContain('/healthz');
  });

  it('starts the service the way `npm start` does', () => {
    const cmd = instructions.find((line) => line.startsWith('CMD'));
    const args = JSON.parse((cmd ?? '').replace(/^CMD\s+/, '')) as string[];
    const start = (JSON.parse(readRepoFile('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(args.join(' ')).toBe(start);
  });

  it('copies only paths that exist and are not excluded from the build context', () => {
    const sources = instructions
      .filter((line) => line.startsWith('COPY') && !line.includes('--from='))
      .flatMap((line) => line.replace(/^COPY\s+(--\S+\s+)*/, '').split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), `${source} does not exist`).toBe(true);
      expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source);
    }
  });

  it('keeps secrets and local state out of the build context', () => {
    for (const path of ['.env', 'secrets', 'node_modules', '.git']) expect(ignored).toContain(path);
  });
});
