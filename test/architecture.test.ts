import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering rules, read from the import statements of the source files themselves.
const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file imports, relative ones resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importPattern)].map(([, from, dynamic]) => {
    const specifier = (from ?? dynamic) as string;
    return specifier.startsWith('.') ? relative(srcDir, resolve(dirname(file), specifier)) : specifier;
  });
}

const filesUnder = (folder: string) => sourceFiles(join(srcDir, folder)).map((file) => relative(srcDir, file));
const importsByFile = (files: string[]) => Object.fromEntries(files.map((file) => [file, importsOf(join(srcDir, file))]));
const metricsOrTracingSdk = (specifier: string) => specifier === 'prom-client' || specifier.startsWith('@opentelemetry/');

describe('module boundaries', () => {
  it('reads the imports it checks (the scan itself works)', () => {
    expect(importsOf(join(srcDir, 'telemetry/sinks/prometheus-registry.ts'))).toContain('prom-client');
    expect(importsOf(join(srcDir, 'server.ts'))).toContain('llm/client.js');
  });

  it('nothing under src/llm imports from src/telemetry', () => {
    const offending = Object.entries(importsByFile(filesUnder('llm'))).flatMap(([file, imports]) =>
      imports.filter((specifier) => specifier.startsWith('telemetry/')).map((specifier) => `${file} -> ${specifier}`),
    );
    expect(filesUnder('llm').length).toBeGreaterThan(5);
    expect(offending).toEqual([]);
  });

  it('src/routes and src/server.ts import no Prometheus or OpenTelemetry module', () => {
    const files = [...filesUnder('routes'), 'server.ts'];
    const offending = Object.entries(importsByFile(files)).flatMap(([file, imports]) =>
      imports.filter(metricsOrTracingSdk).map((specifier) => `${file} -> ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('src/agents never talk to a sink: they import telemetry types only', () => {
    const offending = filesUnder('agents').flatMap((file) => {
      const text = readFileSync(join(srcDir, file), 'utf8');
      return [...text.matchAll(/import\s+(type\s+)?[^'"]*from\s+['"]([^'"]*telemetry[^'"]*)['"]/g)]
        .filter(([, typeOnly]) => !typeOnly)
        .map(([, , specifier]) => `${file} -> ${specifier}`);
    });
    expect(offending).toEqual([]);
  });
});
