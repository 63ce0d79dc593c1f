/**
 * The public face of `grammar/`: parsing, checking and printing `.remap` files, and the AST types. Nothing here
 * exposes chevrotain.
 */
export { parseRemap } from './parse-remap.ts';
export { analyzeRemap } from './analyze-remap.ts';
export { checkRemap, ALL_CHECKS } from './checks/check-remap.ts';
export { patternsOf } from './checks/check-rule.ts';
export { printRemap, printStatement, printPattern } from './print-remap.ts';
export type * from './ast.ts';
export { INIT_KINDS, METRICS, DTYPES, LANGUAGE_VERSION } from './vocabulary.ts';
