/** `remap/unknown-dtype`: `cast ... to X` where X is not one of `vocabulary.ts`'s dtypes. */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile } from '../ast.ts';
import { DTYPES } from '../vocabulary.ts';
import { error, type CheckRule } from './check-rule.ts';
import { didYouMeanSuffix } from './closest-name.ts';

const CODE = 'remap/unknown-dtype';

/** Reports dtypes that `cast` does not know. */
export const unknownDtype: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    return file.statements.flatMap((s) =>
      s.kind === 'Cast' && !DTYPES.includes(s.dtype.value)
        ? [
            error(CODE, `unknown dtype "${s.dtype.value}".${didYouMeanSuffix(s.dtype.value, DTYPES)}`, [s.dtype.span], `known dtypes: ${DTYPES.join(', ')}`),
          ]
        : [],
    );
  },
};
