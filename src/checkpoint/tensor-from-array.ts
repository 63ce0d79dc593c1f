/**
 * Builds new in-memory tensors (made by surgery or by the trainer) that writers store like any other.
 */
import { arrayClassOf, numberToBfloat16, numberToFloat16, type TypedArray } from './dtype-codec.ts';
import { contiguousStride, numelOf } from './py-value.ts';
import type { DType, Tensor } from './types.ts';

/**
 * Returns a contiguous tensor with its own memory storage holding `data` in row-major order of
 * `shape`. `dtype` defaults to the typed array's own (float32 for a number array); when it differs,
 * values are converted (floats to f16/bf16 round half to even, numbers to int64, truthiness to bool).
 * float16/bfloat16 data given as a Uint16Array is taken as raw bits; complex64 as interleaved pairs.
 */
export function tensorFromArray(data: TypedArray | readonly number[], shape: readonly number[], dtype?: DType): Tensor {
  const resolved = dtype ?? inferDType(data);
  const numel = numelOf(shape);
  const lanes = resolved === 'complex64' ? 2 : 1;
  if (data.length !== numel * lanes) {
    throw new RangeError(`tensorFromArray: ${data.length} values do not fill shape [${shape.join(', ')}] of ${resolved}`);
  }
  const elements = convert(data, resolved);
  const bytes = new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength).slice();
  return {
    kind: 'tensor',
    storage: { dtype: resolved, numel, source: { kind: 'memory', bytes } },
    storageOffset: 0,
    shape: [...shape],
    stride: contiguousStride(shape),
    requiresGrad: false,
    parameter: false,
  };
}

function inferDType(data: TypedArray | readonly number[]): DType {
  if (Array.isArray(data) || data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError('tensorFromArray: a Uint16Array is ambiguous; pass dtype float16 or bfloat16');
}

function convert(data: TypedArray | readonly number[], dtype: DType): TypedArray {
  const ArrayClass = arrayClassOf(dtype);
  if (data instanceof ArrayClass && !(dtype === 'bool' && data instanceof Uint8Array && !isBoolBytes(data))) return data as TypedArray;
  const numbers = Array.from(data as ArrayLike<number | bigint>, Number);
  switch (dtype) {
    case 'float16':
      return Uint16Array.from(numbers, numberToFloat16);
    case 'bfloat16':
      return Uint16Array.from(numbers, numberToBfloat16);
    case 'int64':
      return BigInt64Array.from(numbers, (value) => BigInt(Math.trunc(value)));
    case 'bool':
      return Uint8Array.from(numbers, (value) => (value ? 1 : 0));
    default:
      return (ArrayClass as unknown as { from(values: number[]): TypedArray }).from(numbers);
  }
}

function isBoolBytes(data: Uint8Array): boolean {
  return data.every((value) => value <= 1);
}
