/**
 * `remap/segment-rename-shape`: a segment rename (one segment on the left, no `**`) must rename to one segment
 * without `**`; to rewrite whole keys, write the whole key on the left.
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RemapFile } from '../ast.ts';
import { printPattern } from '../print-remap.ts';
import { error, type CheckRule } from './check-rule.ts';

const CODE = 'remap/segment-rename-shape';

/** Reports segment renames whose right-hand side is not one segment. */
export const renameShape: CheckRule = {
  codes: [CODE],
  check(file: RemapFile): Diagnostic[] {
    return file.statements.flatMap((s) => {
      if (s.kind !== 'Rename' || s.scope !== 'segment') return [];
      const single = s.to.segments.length === 1 && !s.to.segments[0]!.parts.some((p) => p.kind === 'Wildcard' && p.many);
      if (single) return [];
      return [
        error(
          CODE,
          `"${printPattern(s.from)}" renames one key segment, so it must be renamed to one segment, not "${printPattern(s.to)}"`,
          [s.to.span, s.from.span],
          "to rewrite whole keys, write the whole key on the left, e.g. 'a.** -> b.a.**'",
        ),
      ];
    });
  },
};
