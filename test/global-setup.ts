// Builds the research page once before any test worker starts, so that parallel workers never race
// to write dist/web while another serves it. A no-op when the build is up to date.
import { buildWeb } from '../scripts/build-web.js';

export default function setup(): void {
  buildWeb({ ifStale: true });
}
