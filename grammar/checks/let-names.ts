/**
 * `remap/undefined-name`: a slice uses a name no `let` above defines (statements apply top to bottom).
 * `remap/duplicate-let`: a `let` name defined twice.
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { LetStatement, RemapFile } from '../ast.ts';
import { error, type CheckRule } from './check-rule.ts';
import { didYouMeanSuffix } from './closest-name.ts';

const UNDEFINED = 'remap/undefined-name';
const DUPLICATE = 'remap/duplicate-let';

/** Reports `let` names used before they are defined, or defined twice. */
export const letNames: CheckRule = {
  codes: [UNDEFINED, DUPLICATE],
  check(file: RemapFile): Diagnostic[] {
    const defined = new Map<string, LetStatement>();
    const out: Diagnostic[] = [];
    for (const s of file.statements) {
      if (s.kind === 'Let') {
        const earlier = defined.get(s.name.value);
        if (earlier) out.push(error(DUPLICATE, `"${s.name.value}" is already defined by a 'let' above`, [s.name.span, earlier.name.span]));
        else defined.set(s.name.value, s);
      }
      if (s.kind !== 'Assign') continue;
      for (const dim of [...(s.targetSlice?.dims ?? []), ...(s.sourceSlice?.dims ?? [])]) {
        if (dim.kind === 'RangeRef' && !defined.has(dim.name)) {
          out.push(
            error(UNDEFINED, `"${dim.name}" is not defined by a 'let' above.${didYouMeanSuffix(dim.name, [...defined.keys()])}`, [dim.span], `define it first: let ${dim.name} = START:STOP`),
          );
        }
      }
    }
    return out;
  },
};
