// The research page as the tests serve it: built into its own folder, because test/main.test.ts deletes
// and rebuilds dist/ (as a fresh clone would) while other test files run.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from '../../scripts/build-web.js';

export const testWebRoot = join(fileURLToPath(new URL('../..', import.meta.url)), '.test-build', 'web');

/** Builds the test copy of the page when it is missing or older than web/. */
export const ensureTestWebBuilt = (): boolean => buildWeb({ ifStale: true, outDir: testWebRoot });
