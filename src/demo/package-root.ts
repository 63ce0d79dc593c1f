/** Where the installed `surgery` package lives, so the demo finds its bundled configs and remaps from src/ or dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invariant } from '../invariant.ts';

/** Returns the folder holding surgery's own package.json, searched upwards from this module (src/ or dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'surgery') return dir;
    const parent = dirname(dir);
    invariant(parent !== dir, 'surgery\'s package.json is not above the demo module');
    dir = parent;
  }
}
