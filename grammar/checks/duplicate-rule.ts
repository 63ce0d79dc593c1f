/** `remap/duplicate-rule`: the same statement written twice (compared by canonical text); points at both. */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile, Statement } from '../ast.ts';
import { printStatement } from '../print-remap.ts';
import { error, type CheckRule } from './check-rule.ts';

const CODE = 'remap/duplicate-rule';

/** Reports a statement written twice. */
export const duplicateRule: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    const seen = new Map<string, Statement>();
    const out: Diagnostic[] = [];
    for (const s of file.statements) {
      const text = printStatement(s);
      const first = seen.get(text);
      if (first) out.push(error(CODE, `"${text}" is written twice; remove one`, [s.span, first.span]));
      else seen.set(text, s);
    }
    return out;
  },
};
