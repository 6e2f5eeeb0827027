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

if (existsSync('src') && (!existsSync(entry) || newestChange('src') > statSync(entry).mtimeMs)) {
  const npm = process.env.npm_execpath;
  const build = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.exit(build.status ?? 1);
}
