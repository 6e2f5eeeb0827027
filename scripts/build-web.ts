// Builds the research page into dist/web (or `outDir`): web/*.ts through tsc (tsconfig.web.json), the
// HTML and CSS copied as they are. `--if-stale` skips the build when the output is newer than every source.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = join(root, 'web');
export const defaultWebOutDir = join(root, 'dist', 'web');
const copied = ['index.html', 'style.css'];
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const newest = (paths: string[]) => Math.max(...paths.map((path) => statSync(path).mtimeMs));
const oldest = (paths: string[]) => Math.min(...paths.map((path) => (existsSync(path) ? statSync(path).mtimeMs : -Infinity)));

function isStale(outDir: string): boolean {
  const sources = readdirSync(sourceDir).map((name) => join(sourceDir, name));
  const outputs = readdirSync(sourceDir).map((name) => join(outDir, name.replace(/\.ts$/, '.js')));
  return oldest(outputs) < newest([...sources, join(root, 'tsconfig.web.json')]);
}

/** Returns whether it built. */
export function buildWeb({ ifStale = false, outDir = defaultWebOutDir } = {}): boolean {
  if (ifStale && !isStale(outDir)) return false;
  // An install without dev dependencies has no compiler: start anyway, serving whatever was built.
  if (ifStale && !existsSync(tsc)) {
    console.warn('research page not rebuilt: typescript is not installed (npm install without --omit=dev)');
    return false;
  }
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.web.json'), '--outDir', outDir], { stdio: 'inherit' });
  mkdirSync(outDir, { recursive: true });
  for (const name of copied) copyFileSync(join(sourceDir, name), join(outDir, name));
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = buildWeb({ ifStale: process.argv.includes('--if-stale') });
  console.log(built ? `research page built into ${defaultWebOutDir}` : 'research page is up to date');
}
