/**
 * Weight layouts PyTorch ↔ tfjs: round trips both ways, and each conversion checked by running the
 * tfjs layer on converted weights against the PyTorch definition computed directly from the
 * PyTorch-layout array.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';
import { permute, tfShape, tfToTorch, torchToTf } from '../../src/model/layout.ts';
import { conv1d, conv2d, convTranspose1d, linear } from '../../src/model/ops.ts';
import type { ParamKind } from '../../src/model/schema.ts';

const seq = (n: number, k = 0.37) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.1));

test.before(async () => {
  await selectBackend('cpu');
});

test('permute moves axes; tfToTorch inverts torchToTf for every kind', () => {
  assert.equal(Array.from(permute(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0])), [1, 4, 2, 5, 3, 6]);
  const cases: [ParamKind, number[], number[]][] = [
    ['conv2d', [4, 3, 2, 5], [2, 5, 3, 4]],
    ['conv1d', [4, 3, 5], [1, 5, 3, 4]],
    ['convT1d', [4, 3, 5], [1, 5, 3, 4]],
    ['linear', [4, 3], [3, 4]],
    ['bias', [4], [4]],
  ];
  for (const [kind, shape, want] of cases) {
    assert.equal(tfShape(kind, shape), want, kind);
    const data = seq(shape.reduce((a, b) => a * b, 1));
    const there = torchToTf(kind, shape, data);
    assert.equal(Array.from(tfToTorch(kind, shape, there)), Array.from(data), `${kind} round trip`);
  }
});

test('Conv2d [O,I,kH,kW] with stride and padding equals the PyTorch definition', () => {
  const [n, c, h, w, o, k, s, p] = [1, 2, 6, 5, 3, 3, 2, 1];
  const x = seq(n * c * h * w); // NCHW
  const wt = seq(o * c * k * k, 0.91);
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  const ow = Math.floor((w + 2 * p - k) / s) + 1;
  const want: number[] = [];
  for (let oc = 0; oc < o; oc++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let acc = 0;
    for (let ic = 0; ic < c; ic++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const r = y * s - p + i, q = z * s - p + j;
      if (r >= 0 && r < h && q >= 0 && q < w) acc += x[(ic * h + r) * w + q]! * wt[((oc * c + ic) * k + i) * k + j]!;
    }
    want.push(acc);
  }
  const got = tf.tidy(() => {
    const xt = tf.transpose(tf.tensor4d(x, [n, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
    const y = conv2d(xt, tf.tensor4d(torchToTf('conv2d', [o, c, k, k], wt), [k, k, c, o]), s, p);
    return Array.from(tf.transpose(y, [0, 3, 1, 2]).dataSync());
  });
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `element ${i}`));
});

test('Conv1d [O,I,k] and ConvTranspose1d [I,O,k] (stride 2, padding 1) equal the PyTorch definitions', () => {
  const [c, t, o] = [3, 6, 2];
  const x = seq(c * t); // [C, T]
  const w1 = seq(o * c * 3, 0.53);
  const wantConv: number[] = [];
  const ot = Math.floor((t + 2 - 3) / 2) + 1;
  for (let oc = 0; oc < o; oc++) for (let y = 0; y < ot; y++) {
    let acc = w1.length * 0;
    for (let ic = 0; ic < c; ic++) for (let i = 0; i < 3; i++) {
      const r = y * 2 - 1 + i;
      if (r >= 0 && r < t) acc += x[ic * t + r]! * w1[(oc * c + ic) * 3 + i]!;
    }
    wantConv.push(acc);
  }
  const wt = seq(c * o * 4, 0.77); // ConvTranspose1d(c → o, k=4): weight [c, o, 4]
  const tt = (t - 1) * 2 - 2 + 4;
  const wantT = new Array<number>(o * tt).fill(0);
  for (let ic = 0; ic < c; ic++) for (let y = 0; y < t; y++) for (let oc = 0; oc < o; oc++) for (let i = 0; i < 4; i++) {
    const r = y * 2 - 1 + i;
    if (r >= 0 && r < tt) wantT[oc * tt + r] += x[ic * t + y]! * wt[(ic * o + oc) * 4 + i]!;
  }
  const [gotConv, gotT] = tf.tidy(() => {
    const xt = tf.transpose(tf.tensor3d(x, [1, c, t]), [0, 2, 1]) as tf.Tensor3D;
    const a = conv1d(xt, tf.tensor4d(torchToTf('conv1d', [o, c, 3], w1), [1, 3, c, o]), 2, 1, tf.zeros([o]));
    const b = convTranspose1d(xt, tf.tensor4d(torchToTf('convT1d', [c, o, 4], wt), [1, 4, o, c]), 2, 1, tf.zeros([o]));
    return [Array.from(tf.transpose(a, [0, 2, 1]).dataSync()), Array.from(tf.transpose(b, [0, 2, 1]).dataSync())];
  });
  assert.is(gotT!.length, wantT.length);
  gotConv!.forEach((v, i) => assert.ok(Math.abs(v - wantConv[i]!) < 1e-5, `conv1d ${i}`));
  gotT!.forEach((v, i) => assert.ok(Math.abs(v - wantT[i]!) < 1e-5, `convT1d ${i}`));
});

test('Linear [O,I] equals x·Wᵀ + b', () => {
  const w = seq(6, 0.3); // [3, 2]
  const got = tf.tidy(() => Array.from(linear(tf.tensor2d([[1, 2]]), tf.tensor2d(torchToTf('linear', [3, 2], w), [2, 3]), tf.tensor1d([1, 1, 1])).dataSync()));
  [0, 1, 2].forEach((oc) => assert.ok(Math.abs(got[oc]! - (w[oc * 2]! + 2 * w[oc * 2 + 1]! + 1)) < 1e-6));
});

test.run();
