import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Deployment files and docs are copied around and pasted into tickets: they may name a secret's
// variable, never hold its value. Shapes of real credentials, not of the placeholders in .env.example.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const scanned = ['README.md', '.env.example', 'Dockerfile', 'docker-compose.langfuse.yml', 'docker-compose.observability.yml', 'alertmanager.yml', 'loki-config.yml', 'promtail-config.yml', 'prometheus', 'grafana', 'alertmanager', 'docs'];
const secretShapes: Record<string, RegExp> = {
  'Google API key': /AIza[0-9A-Za-z_-]{35}/,
  'LangFuse key': /\b[ps]k-lf-[0-9a-f]{8}-[0-9a-f]{4}-/,
  'LangSmith key': /\blsv2_(?:pt|sk)_[0-9a-f]{32}|\bls__[0-9a-f]{32}/,
  'Slack webhook': /hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{16,}/,
  'private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  // What `openssl rand -hex 32` prints. Trace ids (32 hex) and all-zero placeholders stay allowed.
  'generated hex secret': /\b(?!([0-9a-f])\1+\b)[0-9a-f]{48,}\b/,
  'password in a URL': /:\/\/[^\s:/@${}]+:[^\s@${}]{6,}@/,
};

function filesUnder(path: string): string[] {
  const absolute = join(repoRoot, path);
  let stats;
  try {
    stats = statSync(absolute);
  } catch {
    return [];
  }
  if (stats.isFile()) return [absolute];
  return readdirSync(absolute).flatMap((name) => filesUnder(join(path, name)));
}

describe('committed deployment files and docs', () => {
  const files = scanned.flatMap(filesUnder);

  it.each(files.map((file) => relative(repoRoot, file)))('%s holds no credential', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const [name, shape] of Object.entries(secretShapes)) {
      expect(shape.exec(text)?.[0], `${name} in ${file}`).toBeUndefined();
    }
  });
});
