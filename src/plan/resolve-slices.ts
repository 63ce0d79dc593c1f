/** Turns the AST's slices (`[:, 7:519]`, `let` names) into concrete boxes for a tensor shape, checking bounds. */
import type { RangeDim, Slice } from '../../grammar/index.ts';
import type { Box } from './plan-types.ts';
import { formatShape } from './model-schema.ts';

/** Returns the box a slice selects in a tensor of `shape`, or a message saying why it cannot. */
export function resolveSlice(slice: Slice | null, shape: number[], lets: Map<string, RangeDim>): Box | string {
  const dims = slice?.dims ?? [];
  if (dims.length > shape.length) return `slice has ${dims.length} dimensions but the tensor ${formatShape(shape)} has ${shape.length}`;
  const box: Box = [];
  for (let d = 0; d < shape.length; d++) {
    const dim = dims[d];
    const range = dim?.kind === 'RangeRef' ? lets.get(dim.name) : dim;
    if (dim && !range) return `"${(dim as { name: string }).name}" is not defined by a "let" statement`;
    const size = shape[d]!;
    const start = range?.start ?? 0;
    const stop = range?.stop ?? size;
    if (start < 0 || stop > size || start > stop) return `range ${start}:${stop} is outside dimension ${d} of size ${size} (tensor ${formatShape(shape)})`;
    box.push([start, stop]);
  }
  return box;
}

/** Returns the extent of a box per dimension. */
export function boxShape(box: Box): number[] {
  return box.map(([a, b]) => b - a);
}

/** Returns whether two boxes overlap (then a later block overwrites an earlier one). */
export function boxesOverlap(a: Box, b: Box): boolean {
  return a.every(([a0, a1], d) => a0 < b[d]![1] && b[d]![0] < a1);
}

/** Returns the box as Python would write the slice: `[:, 7:519]`. */
export function formatBox(box: Box, shape: number[]): string {
  return `[${box.map(([a, b], d) => (a === 0 && b === shape[d] ? ':' : `${a}:${b}`)).join(', ')}]`;
}
