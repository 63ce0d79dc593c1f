/**
 * File-wide settings: `remap/version-not-first` (a `version` after other statements), `remap/unsupported-version`
 * (newer than this parser), `remap/conflicting-setting` (two different `version`, `in` or `on mismatch` statements;
 * identical repeats are `duplicate-rule`'s).
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile, Statement } from '../ast.ts';
import { printStatement } from '../print-remap.ts';
import { LANGUAGE_VERSION } from '../vocabulary.ts';
import { error, type CheckRule } from './check-rule.ts';

const NOT_FIRST = 'remap/version-not-first';
const UNSUPPORTED = 'remap/unsupported-version';
const CONFLICT = 'remap/conflicting-setting';

const SETTING_NAMES: Partial<Record<Statement['kind'], string>> = { Version: "'version'", In: "'in'", OnMismatch: "'on mismatch'" };

/** Reports misplaced, unsupported or conflicting file-wide settings. */
export const settings: CheckRule = {
  codes: [NOT_FIRST, UNSUPPORTED, CONFLICT],
  check(file: RemapFile): Diagnostic[] {
    const out: Diagnostic[] = [];
    const first = new Map<Statement['kind'], Statement>();
    file.statements.forEach((s, i) => {
      if (s.kind === 'Version') {
        if (i > 0) out.push(error(NOT_FIRST, "'version' must be the first statement of the file", [s.span]));
        if (s.version > LANGUAGE_VERSION || s.version < 1) {
          out.push(error(UNSUPPORTED, `this surgery reads remap version ${LANGUAGE_VERSION}, not ${s.version}`, [s.span]));
        }
      }
      const name = SETTING_NAMES[s.kind];
      if (!name) return;
      const earlier = first.get(s.kind);
      if (!earlier) first.set(s.kind, s);
      else if (printStatement(earlier) !== printStatement(s)) {
        out.push(error(CONFLICT, `${name} is set twice with different values; keep one`, [s.span, earlier.span]));
      }
    });
    return out;
  },
};
