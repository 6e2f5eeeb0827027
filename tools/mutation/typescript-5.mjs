// Loaded with `--import` into Stryker's processes: Stryker's own modules (its tsconfig rewriting and the
// TypeScript checker) get TypeScript 5.9 from this folder, because they need the classic compiler API that
// the project's TypeScript 7 no longer has. Every other importer keeps resolving `typescript` as usual.
import { register } from 'node:module';

register('./typescript-5-hooks.mjs', import.meta.url);
