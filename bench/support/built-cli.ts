/** The `surgery` CLI as users run it: `bin/surgery.js` over the bundle in `dist/cli/`. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/surgery.js', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Returns the path of `bin/surgery.js`; throws when `dist/` is not built (run `npm run build` after changing src/, or the figures are for old code). */
export function builtCli(): string {
  if (!existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} is missing: run \`npm run build\` before the benchmarks.`);
  return BIN;
}
