/** Reading `.remap` files for the commands; the only place here that touches the file system for reading. */
import { readFileSync } from 'node:fs';
import { InputError } from '../input-error.ts';

/** Returns the text of a `.remap` file; throws InputError (exit 3) when it cannot be read. */
export function readRemapSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((cause as Error).message);
    throw new InputError('remap/unreadable', path, `cannot read the remap file (${reason}); check the path`);
  }
}
