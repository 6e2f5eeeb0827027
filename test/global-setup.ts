// Builds the research page once before any test worker starts, so that parallel workers never race to
// write it while another serves it. A no-op when the build is up to date.
import { ensureTestWebBuilt } from './helpers/web-build.js';

export default function setup(): void {
  ensureTestWebBuilt();
}
