/**
 * Gradients built from forward kernels: the conv input gradient matches tfjs's own
 * Conv2DBackpropInput for every conv shape the policy uses, and the stem max-pool's gradient goes to
 * the first maximum of each window as a direct loop over the windows computes it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';
import { registerModelGradients } from '../../src/model/gradients.ts';
import { convInputGrad, maxPoolStem } from '../../src/model/ops.ts';

registerModelGradients();

/** [label, input H, input W (both already padded), kH, kW, strides, I, O] */
const CASES: Array<[string, number, number, number, number, [number, number], number, number]> = [
  ['7x7/2 stem, even input', 22 + 6, 22 + 6, 7, 7, [2, 2], 3, 8],
  ['7x7/2 stem, odd input', 21 + 6, 19 + 6, 7, 7, [2, 2], 3, 8],
  ['3x3/1', 8 + 2, 8 + 2, 3, 3, [1, 1], 8, 8],
  ['3x3/2, even input', 8 + 2, 8 + 2, 3, 3, [2, 2], 8, 16],
  ['3x3/2, odd input', 7 + 2, 9 + 2, 3, 3, [2, 2], 8, 16],
  ['1x1/2 downsample, even input', 8, 8, 1, 1, [2, 2], 8, 16],
  ['1x1/2 downsample, odd input (last row skipped)', 7, 7, 1, 1, [2, 2], 8, 16],
  ['1-D k5/1', 1, 16 + 4, 1, 5, [1, 1], 6, 12],
  ['1-D k3/2 downsample', 1, 16 + 2, 1, 3, [1, 2], 12, 12],
  ['1-D k4/2 (ConvTranspose1d upsample)', 1, 18, 1, 4, [1, 2], 12, 12],
];

for (const backend of ['cpu', 'wasm'] as const) {
  test(`convInputGrad equals conv2dTranspose on ${backend}`, async () => {
    await selectBackend(backend);
    for (const [label, h, w, kh, kw, strides, ci, co] of CASES) {
      const oh = Math.floor((h - kh) / strides[0]) + 1;
      const ow = Math.floor((w - kw) / strides[1]) + 1;
      const [mine, ref, scale] = tf.tidy(() => {
        const dy = tf.randomNormal([2, oh, ow, co], 0, 1, 'float32', 1) as tf.Tensor4D;
        const filt = tf.randomNormal([kh, kw, ci, co], 0, 1, 'float32', 2) as tf.Tensor4D;
        const expected = tf.conv2dTranspose(dy, filt, [2, h, w, ci], strides, 'valid');
        const got = convInputGrad(dy, filt, [h, w], strides);
        return [got.arraySync(), expected.arraySync(), tf.max(tf.abs(expected)).dataSync()[0]!];
      });
      const a = (mine as number[][][][]).flat(3);
      const b = (ref as number[][][][]).flat(3);
      assert.is(a.length, b.length, `${label}: shape`);
      const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      assert.ok(scale > 0 && err <= 1e-5 * scale, `${label}: max |Δ| ${err} vs max |ref| ${scale}`);
    }
  });
}

/** Returns the 3×3/2 pad-1 max-pool input gradient by looping over windows, ties to the first maximum in row-major order. */
function loopMaxPoolGrad(x: number[][][][], dy: number[][][][]): number[][][][] {
  const dx = x.map((img) => img.map((row) => row.map((px) => px.map(() => 0))));
  dy.forEach((img, b) => img.forEach((row, y) => row.forEach((px, xo) => px.forEach((g, ch) => {
    let best = -Infinity;
    let at: [number, number] = [-1, -1];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const v = x[b]![2 * y + i - 1]?.[2 * xo + j - 1]?.[ch];
        if (v !== undefined && v > best) [best, at] = [v, [2 * y + i - 1, 2 * xo + j - 1]];
      }
    }
    dx[b]![at[0]]![at[1]]![ch]! += g;
  }))));
  return dx;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`stem max-pool gradient goes to the first maximum on ${backend}`, async () => {
    await selectBackend(backend);
    for (const [h, w] of [[12, 12], [11, 9], [10, 13]] as const) {
      // Values from a 4-level grid so windows have ties.
      const x = tf.tidy(() => tf.floor(tf.randomUniform([2, h, w, 3], 0, 4, 'float32', h * w)) as tf.Tensor4D);
      const oh = Math.floor((h - 1) / 2) + 1;
      const ow = Math.floor((w - 1) / 2) + 1;
      const dy = tf.randomNormal([2, oh, ow, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const got = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maxPoolStem(t as tf.Tensor4D), dy)))(x)).arraySync() as number[][][][];
      const want = loopMaxPoolGrad(x.arraySync(), dy.arraySync());
      const err = Math.max(...got.flat(3).map((v, i) => Math.abs(v - want.flat(3)[i]!)));
      assert.ok(err < 1e-5, `${h}x${w}: max |Δ| ${err}`);
      tf.dispose([x, dy]);
    }
  });
}

test.run();
