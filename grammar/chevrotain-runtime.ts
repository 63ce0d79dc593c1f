/**
 * chevrotain's runtime values, loaded from the single-file build the package ships. Its package
 * entry (`lib/src/api.js`) imports 641 lodash-es modules one by one, which costs ~0.3 s (more on a
 * busy machine) at the start of every `check`, `fmt`, `plan` and `apply`; `lib/chevrotain.mjs` is
 * the same release in one module, loaded in a fifth of that, but the package's exports map does not
 * list it, so it is found beside the entry the map does list. Types still come from 'chevrotain'.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = createRequire(import.meta.url).resolve('chevrotain');
const chevrotain = (await import(pathToFileURL(join(dirname(entry), '..', 'chevrotain.mjs')).href)) as typeof import('chevrotain');

export const { createToken, CstParser, EOF, Lexer } = chevrotain;
