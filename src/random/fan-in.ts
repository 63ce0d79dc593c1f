/**
 * Fan-in and fan-out of a weight as torch's `nn.init._calculate_fan_in_and_fan_out` computes them:
 * dim 1 (resp. dim 0) times the receptive field. Taking dim 1 is also what torch does for
 * ConvTranspose weights `[in, out, k]`, so their init matches torch's too.
 */

/** Returns `shape[1] · ∏shape[2:]` (at least 1; for a 1-d shape, its length). */
export function fanIn(shape: number[]): number {
  if (shape.length < 2) return Math.max(1, shape[0] ?? 1);
  return Math.max(1, shape[1]! * receptiveField(shape));
}

/** Returns `shape[0] · ∏shape[2:]` (at least 1; for a 1-d shape, its length). */
export function fanOut(shape: number[]): number {
  if (shape.length < 2) return Math.max(1, shape[0] ?? 1);
  return Math.max(1, shape[0]! * receptiveField(shape));
}

function receptiveField(shape: number[]): number {
  return shape.slice(2).reduce((a, b) => a * b, 1);
}
