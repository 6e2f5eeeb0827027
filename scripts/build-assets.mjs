// Copies what tsc does not emit (the price table, the Loki worker, any other non-TypeScript file under
// src/) into dist/, keeping each file's place in the tree.
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const source = 'src';
const target = 'dist';

function assets(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return assets(path);
    return entry.name.endsWith('.ts') ? [] : [path];
  });
}

for (const file of assets(source)) cpSync(file, join(target, relative(source, file)));
