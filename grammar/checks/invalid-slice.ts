/**
 * `remap/invalid-slice`: a range that selects nothing (`519:7`, `5:5`), or an assignment whose two slices have a
 * different number of dimensions. `remap/slice-size-mismatch`: both sides bound a dimension and the widths differ
 * (`[:, 0:512] <- [:, 7:500]`). `let` names are resolved from the `let` statements above.
 */
import type { Diagnostic } from '../../src/diagnostics.ts';
import type { RangeDim, RemapFile, Slice, SliceDim } from '../ast.ts';
import { printRange } from '../print-remap.ts';
import { error, type CheckRule } from './check-rule.ts';

const INVALID = 'remap/invalid-slice';
const MISMATCH = 'remap/slice-size-mismatch';

/** Reports empty ranges and slices whose ranks or widths disagree. */
export const invalidSlice: CheckRule = {
  codes: [INVALID, MISMATCH],
  check(file: RemapFile): Diagnostic[] {
    const lets = new Map<string, RangeDim>();
    const out: Diagnostic[] = [];
    for (const s of file.statements) {
      if (s.kind === 'Let') {
        out.push(...emptyRange(s.range));
        lets.set(s.name.value, s.range);
      }
      if (s.kind !== 'Assign') continue;
      for (const slice of [s.targetSlice, s.sourceSlice]) {
        for (const dim of slice?.dims ?? []) if (dim.kind === 'Range') out.push(...emptyRange(dim));
      }
      if (s.targetSlice && s.sourceSlice) out.push(...compare(s.targetSlice, s.sourceSlice, lets));
    }
    return out;
  },
};

function emptyRange(r: RangeDim): Diagnostic[] {
  if (r.start === null || r.stop === null || r.stop > r.start) return [];
  return [error(INVALID, `range "${printRange(r)}" selects nothing: its stop must be greater than its start`, [r.span])];
}

function compare(target: Slice, source: Slice, lets: Map<string, RangeDim>): Diagnostic[] {
  if (target.dims.length !== source.dims.length) {
    return [
      error(
        INVALID,
        `the target slice has ${target.dims.length} dimension(s) but the source slice has ${source.dims.length}; write the same number on both sides`,
        [source.span, target.span],
      ),
    ];
  }
  const out: Diagnostic[] = [];
  target.dims.forEach((t, i) => {
    const left = width(t, lets);
    const right = width(source.dims[i]!, lets);
    if (left !== null && right !== null && left !== right && left > 0 && right > 0) {
      out.push(
        error(MISMATCH, `dimension ${i} takes ${left} element(s) on the target side but ${right} on the source side`, [
          source.dims[i]!.span,
          t.span,
        ]),
      );
    }
  });
  return out;
}

/** Returns the width of a fully bounded range (resolving `let` names), or null when a bound is open or unknown. */
function width(dim: SliceDim, lets: Map<string, RangeDim>): number | null {
  const r = dim.kind === 'RangeRef' ? lets.get(dim.name) : dim;
  if (!r || r.start === null || r.stop === null) return null;
  return r.stop - r.start;
}
