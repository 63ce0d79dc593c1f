/**
 * Element codecs: which typed array holds each dtype's raw elements, and float16/bfloat16 bit
 * conversions (JavaScript has no native half floats in Node 20).
 */
import type { DType } from './types.ts';

/** Every typed array `readTensor` can return. */
export type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | BigInt64Array;

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * Returns the typed array class holding a dtype's raw elements: f16/bf16 as raw 16-bit patterns,
 * bool as bytes, complex64 as interleaved float32 pairs.
 */
export function arrayClassOf(dtype: DType): TypedArrayConstructor {
  return ARRAY_CLASS[dtype];
}

const ARRAY_CLASS: Record<DType, TypedArrayConstructor> = {
  float64: Float64Array,
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  complex64: Float32Array,
};

const scratch = new DataView(new ArrayBuffer(4));

/** Returns the float32 value of an IEEE half-precision bit pattern. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Returns the IEEE half-precision bit pattern nearest to `value` (round half to even, as torch). */
export function numberToFloat16(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(mantissa, shift);
  }
  const rounded = roundShift(mantissa, 13);
  // A carry out of the mantissa bumps the exponent, which the addition does by itself.
  halfExponent = (halfExponent << 10) + rounded;
  return halfExponent >= 0x7c00 ? sign | 0x7c00 : sign | halfExponent;
}

function roundShift(value: number, shift: number): number {
  const half = 1 << (shift - 1);
  const remainder = value & ((1 << shift) - 1);
  let result = value >>> shift;
  if (remainder > half || (remainder === half && result & 1)) result += 1;
  return result;
}

/** Returns the float32 value of a bfloat16 bit pattern. */
export function bfloat16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/** Returns the bfloat16 bit pattern nearest to `value` (round half to even, NaN kept quiet, as torch). */
export function numberToBfloat16(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  if (Number.isNaN(value)) return 0x7fc0;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}
