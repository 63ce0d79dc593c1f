/**
 * Replacements for two tfjs-backend-wasm 4.22 kernels that copy far more than their result, found
 * by profiling a training step (bench/train.ts). Both give the same values as the originals.
 *
 * - Identity copies its input. tfjs runs one for every tensor a kernel saves for the backward pass
 *   (~2,000 per step of the tiny policy); wasm buffers are reference-counted and no kernel writes
 *   into its inputs, so the replacement shares the buffer, as the cpu backend's Identity does.
 * - Slice copies its whole input out of the wasm heap before taking the window; the replacement
 *   copies the window's runs straight from a heap view.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels (and ops.ts's host loops) use. */
export interface WasmBackend {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

function shareBuffer({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = inputs.x!;
  (backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const copyingSlice = tf.getKernel(tf.Slice, 'wasm')!;

function sliceFromHeap(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x!;
  if (x.dtype === 'string') return copyingSlice.kernelFunc(args as never) as tf.TensorInfo;
  const backend = args.backend as WasmBackend;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin as number[], args.attrs.size as number[]);
  const out = backend.makeOutput(size, x.dtype);
  // Views only after the output is allocated: an allocation can grow the heap and detach them.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0 || size.includes(0)) return out;
  const strides = [...tf.util.computeStrides(x.shape), 1];
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const offset = tf.slice_util.computeFlatOffset(begin, strides);
    to.set(from.subarray(offset, offset + to.length));
    return out;
  }
  const run = size[rank - 1]!;
  // An odometer over every axis but the innermost, one contiguous run per position.
  const index = new Array<number>(rank - 1).fill(0);
  for (let at = 0; at < to.length; at += run) {
    let offset = begin[rank - 1]!;
    for (let axis = 0; axis < rank - 1; axis++) offset += (begin[axis]! + index[axis]!) * strides[axis]!;
    to.set(from.subarray(offset, offset + run), at);
    for (let axis = rank - 2; axis >= 0 && ++index[axis]! === size[axis]; axis--) index[axis] = 0;
  }
  return out;
}

for (const [kernelName, kernelFunc] of [
  [tf.Identity, shareBuffer],
  [tf.Slice, sliceFromHeap],
] as const) {
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
}
