/**
 * The one place where weight layouts are converted between PyTorch and the tfjs ops the model
 * uses. Data is row-major in both; only the axis order differs:
 *
 * | kind    | PyTorch            | tfjs                                   |
 * |---------|--------------------|----------------------------------------|
 * | conv2d  | `[O, I, kH, kW]`   | `[kH, kW, I, O]` (conv2d filter, NHWC) |
 * | conv1d  | `[O, I, k]`        | `[1, k, I, O]` (run as a 1-row conv2d) |
 * | convT1d | `[I, O, k]`        | `[1, k, O, I]` (conv2dTranspose filter)|
 * | linear  | `[O, I]`           | `[I, O]` (matMul right operand)        |
 * | others  | unchanged          | unchanged                              |
 */
import type { ParamKind } from './schema.ts';

/** Axis permutation from the PyTorch shape to the tfjs shape, per kind (after `expand`). */
const TO_TF: Partial<Record<ParamKind, number[]>> = {
  conv2d: [2, 3, 1, 0],
  // conv1d / convT1d are first expanded to 4-D by inserting a unit height axis at position 2.
  conv1d: [2, 3, 1, 0],
  convT1d: [2, 3, 1, 0],
  linear: [1, 0],
};

/** Returns the tfjs shape of a parameter whose PyTorch shape is `shape`. */
export function tfShape(kind: ParamKind, shape: number[]): number[] {
  const perm = TO_TF[kind];
  if (!perm) return [...shape];
  const full = expand(kind, shape);
  return perm.map((a) => full[a]!);
}

/** Returns the data reordered from PyTorch layout to tfjs layout. */
export function torchToTf(kind: ParamKind, torchShape: number[], data: Float32Array): Float32Array {
  const perm = TO_TF[kind];
  return perm ? permute(data, expand(kind, torchShape), perm) : data;
}

/** Returns the data reordered from tfjs layout back to PyTorch layout (the inverse of `torchToTf`). */
export function tfToTorch(kind: ParamKind, torchShape: number[], data: Float32Array): Float32Array {
  const perm = TO_TF[kind];
  if (!perm) return data;
  const full = expand(kind, torchShape);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return permute(data, perm.map((a) => full[a]!), inverse);
}

function expand(kind: ParamKind, shape: number[]): number[] {
  return kind === 'conv1d' || kind === 'convT1d' ? [shape[0]!, shape[1]!, 1, shape[2]!] : shape;
}

/** Returns `data` (row-major, `shape`) transposed so that output axis i is input axis `perm[i]`. */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const n = shape.length;
  const strides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const outShape = perm.map((a) => shape[a]!);
  const outStrides = perm.map((a) => strides[a]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(n).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < n; i++) src += idx[i]! * outStrides[i]!;
    out[o] = data[src]!;
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}
