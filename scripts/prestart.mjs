// `npm start` runs the compiled service. This builds it first when dist/ is missing or older than any
// file under src/, so `npm install && npm start` works on a fresh clone; an image (no src/) skips it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const entry = join('dist', 'main.js');

function newestChange(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, item) => {
    const path = join(dir, item.name);
    return Math.max(newest, item.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }, 0);
}

const stale = (sources, output) => existsSync(sources) && (!existsSync(output) || newestChange(sources) > statSync(output).mtimeMs);

// The research page (web/, built into dist/web by `npm run build`) counts as a source too.
if (stale('src', entry) || stale('web', join('dist', 'web', 'index.html'))) {
  const npm = process.env.npm_execpath;
  const build = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.exit(build.status ?? 1);
}
