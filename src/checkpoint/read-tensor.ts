/**
 * Reads a tensor's elements: only the byte span its view covers, gathered into a fresh contiguous
 * array in row-major order of its shape.
 */
import { InputError } from '../input-error.ts';
import { arrayClassOf, bfloat16ToNumber, float16ToNumber, type TypedArray } from './dtype-codec.ts';
import { isContiguous, numelOf } from './py-value.ts';
import { readStorageBytes } from './storage-bytes.ts';
import { DTYPE_SIZE, type Tensor } from './types.ts';

export type { TypedArray } from './dtype-codec.ts';

/**
 * Returns the tensor's elements, contiguous, in its dtype: float16/bfloat16 as raw bits in a
 * Uint16Array, bool as a Uint8Array of 0/1, int64 as a BigInt64Array, complex64 as interleaved
 * (re, im) pairs in a Float32Array of twice the element count.
 */
export async function readTensor(tensor: Tensor): Promise<TypedArray> {
  const { storage, shape, stride, storageOffset } = tensor;
  const ArrayClass = arrayClassOf(storage.dtype);
  const elementSize = DTYPE_SIZE[storage.dtype];
  const numel = numelOf(shape);
  const lanes = elementSize / ArrayClass.BYTES_PER_ELEMENT;
  if (numel === 0) return new ArrayClass(0);
  const last = storageOffset + shape.reduce((sum, size, dim) => sum + (size - 1) * stride[dim]!, 0);
  if (last >= storage.numel) {
    throw new InputError('format/view-out-of-bounds', storageFile(tensor), `a tensor view reaches element ${last} of a ${storage.numel}-element storage.`, { member: storage.key });
  }
  const span = await readStorageBytes(storage, storageOffset * elementSize, (last - storageOffset + 1) * elementSize);
  if (isContiguous(tensor)) return new ArrayClass(alignedCopy(span, storage.source.kind === 'memory'), 0, numel * lanes);
  return gather(span, tensor, elementSize, new ArrayClass(numel * lanes));
}

/** Returns the tensor's elements converted to float32 (f16/bf16 decoded, ints and bools as numbers). */
export async function readTensorAsFloat32(tensor: Tensor): Promise<Float32Array> {
  const raw = await readTensor(tensor);
  switch (tensor.storage.dtype) {
    case 'float32':
      return raw as Float32Array;
    case 'float16':
      return Float32Array.from(raw as Uint16Array, float16ToNumber);
    case 'bfloat16':
      return Float32Array.from(raw as Uint16Array, bfloat16ToNumber);
    case 'int64':
      return Float32Array.from(raw as BigInt64Array, (value) => Number(value));
    case 'complex64':
      throw new InputError('tensor/complex', storageFile(tensor), 'a complex64 tensor has no real float32 value.', { member: tensor.storage.key });
    default:
      return Float32Array.from(raw as Exclude<TypedArray, BigInt64Array>);
  }
}

function storageFile(tensor: Tensor): string {
  return tensor.storage.source.kind === 'file' ? tensor.storage.source.path : '<memory>';
}

// File reads already return fresh aligned buffers; memory spans may be unaligned views that the
// caller must not be able to mutate through.
function alignedCopy(bytes: Uint8Array, mustCopy: boolean): ArrayBuffer {
  if (!mustCopy && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer;
}

/** Copies a strided view element by element, moving each element as whole 1/2/4-byte words. */
function gather(span: Uint8Array, tensor: Tensor, elementSize: number, out: TypedArray): TypedArray {
  const wordSize = Math.min(elementSize, 4);
  const words = elementSize / wordSize;
  const Word = wordSize === 1 ? Uint8Array : wordSize === 2 ? Uint16Array : Uint32Array;
  const source = new Word(alignedCopy(span, span.byteOffset % wordSize !== 0));
  const target = new Word(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength / wordSize);
  const { shape, stride } = tensor;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let position = 0;
  for (let written = 0; written < target.length; written += words) {
    for (let word = 0; word < words; word++) target[written + word] = source[position * words + word]!;
    for (let dim = rank - 1; dim >= 0; dim--) {
      index[dim]! += 1;
      position += stride[dim]!;
      if (index[dim]! < shape[dim]!) break;
      position -= stride[dim]! * shape[dim]!;
      index[dim] = 0;
    }
  }
  return out;
}
