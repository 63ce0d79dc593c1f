/** Where the installed `surgery` package lives (from src/ or the bundle in dist/cli/), and its version: the demo's bundled inputs, provenance's tool version. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invariant } from './invariant.ts';

/** Returns the folder holding surgery's own package.json, searched upwards from this module (src/ or dist/cli/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'surgery') return dir;
    const parent = dirname(dir);
    invariant(parent !== dir, 'surgery\'s package.json is not above its modules');
    dir = parent;
  }
}

/** Returns the version in surgery's own package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
