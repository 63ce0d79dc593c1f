/**
 * `remap/unknown-init`: an init kind that is not one of `vocabulary.ts`'s. `remap/init-arguments`: a known kind with
 * the wrong number of arguments, or arguments it cannot use (`normal` needs std > 0, `uniform(a, b)` needs a < b).
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { InitSpec, RemapFile } from '../ast.ts';
import { INIT_KINDS } from '../vocabulary.ts';
import { error, type CheckRule } from './check-rule.ts';
import { didYouMeanSuffix } from './closest-name.ts';

const UNKNOWN = 'remap/unknown-init';
const ARGUMENTS = 'remap/init-arguments';
const KNOWN = Object.keys(INIT_KINDS);

/** Reports unknown init kinds and wrong init arguments. */
export const unknownInit: CheckRule = {
  codes: [UNKNOWN, ARGUMENTS],
  check(file: RemapFile): Diagnostic[] {
    return file.statements.flatMap((s) => ((s.kind === 'Reinit' || s.kind === 'OnMismatch') && s.init ? checkInit(s.init) : []));
  },
};

function checkInit(init: InitSpec): Diagnostic[] {
  const name = init.name.value;
  const kind = Object.hasOwn(INIT_KINDS, name) ? INIT_KINDS[name] : undefined;
  if (!kind) {
    return [
      error(UNKNOWN, `unknown init kind "${name}".${didYouMeanSuffix(name, KNOWN)}`, [init.name.span], `known kinds: ${KNOWN.join(', ')}`),
    ];
  }
  if (!kind.arity.includes(init.args.length)) {
    const wanted = kind.arity[0] === 0 ? 'no arguments' : `${kind.arity[0]} argument(s) ${kind.args}`;
    return [error(ARGUMENTS, `"${name}" takes ${wanted}, not ${init.args.length}`, [init.span])];
  }
  const [a, b] = init.args;
  if (name === 'normal' && !(a! > 0)) return [error(ARGUMENTS, `"normal" needs a standard deviation above 0, not ${a}`, [init.span])];
  if (name === 'uniform' && !(a! < b!)) return [error(ARGUMENTS, `"uniform(a, b)" needs a < b, not ${a} and ${b}`, [init.span])];
  return [];
}
