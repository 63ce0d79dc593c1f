/**
 * The wasm kernels that replace tfjs-backend-wasm's copying ones (src/model/wasm-kernels.ts): Slice
 * gives the cpu backend's values for every rank and window, and an Identity that shares its input's
 * buffer keeps its values when the input is disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';

const CASES: Array<[number[], number[], number[]]> = [
  [[7], [2], [4]],
  [[5, 6], [1, 2], [3, -1]],
  [[4, 5, 6], [1, 0, 3], [2, 5, 2]],
  [[3, 9, 8, 5], [1, 2, 3, 0], [2, 4, 4, -1]],
  [[3, 9, 8, 5], [0, 0, 0, 1], [-1, -1, -1, 3]],
  [[2, 3, 4, 5, 6], [1, 1, 0, 2, 3], [1, 2, 4, 2, 3]],
  [[4, 3, 2], [1, 0, 0], [2, -1, -1]],
  [[4, 4], [0, 0], [0, 4]],
];

async function values(backend: 'wasm' | 'cpu', [shape, begin, size]: (typeof CASES)[number], dtype: 'float32' | 'int32'): Promise<number[]> {
  await selectBackend(backend);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Array.from({ length: n }, (_, i) => i * 1.5 - 7), shape, dtype);
  const y = tf.slice(x, begin, size);
  const out = Array.from(await y.data());
  assert.equal(y.shape, tf.slice_util.parseSliceParams(x, begin, size)[1]);
  tf.dispose([x, y]);
  return out;
}

test('wasm Slice equals the cpu backend for every rank, window and dtype', async () => {
  for (const c of CASES) {
    for (const dtype of ['float32', 'int32'] as const) {
      assert.equal(await values('wasm', c, dtype), await values('cpu', c, dtype), `${JSON.stringify(c)} ${dtype}`);
    }
  }
});

test('wasm Identity shares the buffer: a clone outlives its disposed input, and both free it once', async () => {
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor([1, 2, 3, 4]);
  const y = tf.clone(x);
  assert.is(y.dataId, x.dataId, 'one buffer for both');
  x.dispose();
  assert.equal(Array.from(await y.data()), [1, 2, 3, 4]);
  y.dispose();
  assert.is(tf.memory().numTensors, before);
  assert.throws(() => tf.engine().backend.readSync(y.dataId), 'the buffer is freed with its last tensor');
});

test.run();
