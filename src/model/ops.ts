/**
 * The layer arithmetic of the policy in tfjs, matching PyTorch's definitions: convolutions with
 * PyTorch's symmetric zero padding, GroupNorm (biased variance, eps 1e-5), Mish, Linear.
 *
 * Convolutions carry their own gradients, built only from forward kernels (Conv2D with dilation,
 * Conv2DBackpropInput), because the wasm backend has no Conv2DBackpropFilter kernel; every backend
 * then computes the same numbers the same way.
 */
import * as tf from '@tensorflow/tfjs-core';

const GROUP_NORM_EPS = 1e-5;

type ValidConv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;
const validConvs = new Map<string, ValidConv>();
const transposedConvs = new Map<string, ValidConv>();

/**
 * Returns the filter gradient of a 'valid' convolution `x * w` with strides `[sh, sw]`:
 * `dW[a,b,i,o] = Σ_{n,y,x} x[n, y·sh+a, x·sw+b, i] · dy[n,y,x,o]`, computed as a convolution of
 * the transposed input with `dy` as a filter dilated by the stride.
 *
 * @param x `[N, H, W, I]` (already padded) @param dy `[N, OH, OW, O]` @returns `[kH, kW, I, O]`
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, strides: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]); // [I, H, W, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, O]
    const full = tf.conv2d(xt, f, 1, 'valid', 'NHWC', strides); // [I, ≥kH, ≥kW, O]
    return tf.transpose(tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
  });
}

function validConv(strides: [number, number]): ValidConv {
  const id = strides.join('x');
  let fn = validConvs.get(id);
  if (!fn) {
    fn = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w]);
      return {
        value: tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, 'valid'),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          return [
            tf.conv2dTranspose(dy as tf.Tensor4D, sw, sx.shape, strides, 'valid'),
            convFilterGrad(sx, dy as tf.Tensor4D, sw.shape[0], sw.shape[1], strides),
          ];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as ValidConv;
    validConvs.set(id, fn);
  }
  return fn;
}

function transposedConv(strides: [number, number], outHW: [number, number]): ValidConv {
  const id = `${strides.join('x')}/${outHW.join('x')}`;
  let fn = transposedConvs.get(id);
  if (!fn) {
    fn = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w]);
      const n = x.shape[0]!;
      const outShape: [number, number, number, number] = [n, outHW[0], outHW[1], w.shape[2]!];
      return {
        value: tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, outShape, strides, 'valid'),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          // A transposed conv is the input-gradient of conv(dy, w): its gradients swap roles.
          return [tf.conv2d(dy as tf.Tensor4D, sw, strides, 'valid'), convFilterGrad(dy as tf.Tensor4D, sx, sw.shape[0], sw.shape[1], strides)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as ValidConv;
    transposedConvs.set(id, fn);
  }
  return fn;
}

/**
 * Returns `Conv2d(x)` as PyTorch computes it (zero padding `pad` on every side, no dilation).
 * @param x `[N, H, W, I]` @param w `[kH, kW, I, O]` @param bias `[O]` or null
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number, bias: tf.Tensor | null = null): tf.Tensor4D {
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  const y = validConv([stride, stride])(padded, w);
  return bias ? tf.add(y, bias) : y;
}

/**
 * Returns `Conv1d(x)` in channels-last layout.
 * @param x `[N, T, I]` @param w `[1, k, I, O]` @param bias `[O]`
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor4D, stride: number, pad: number, bias: tf.Tensor): tf.Tensor3D {
  const [n, t, c] = x.shape;
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [0, 0]]) : x;
  const y = validConv([1, stride])(tf.reshape(padded, [n, 1, t + 2 * pad, c]), w);
  return tf.reshape(tf.add(y, bias), [n, y.shape[2], y.shape[3]]);
}

/**
 * Returns `ConvTranspose1d(x)` with PyTorch's output length `(T−1)·stride − 2·pad + k`.
 * @param x `[N, T, I]` @param w `[1, k, O, I]` @param bias `[O]`
 */
export function convTranspose1d(x: tf.Tensor3D, w: tf.Tensor4D, stride: number, pad: number, bias: tf.Tensor): tf.Tensor3D {
  const [n, t, c] = x.shape;
  const k = w.shape[1];
  const full = (t - 1) * stride + k;
  const y = transposedConv([1, stride], [1, full])(tf.reshape(x, [n, 1, t, c]), w);
  const cropped = tf.slice(y, [0, 0, pad, 0], [-1, -1, full - 2 * pad, -1]);
  return tf.reshape(tf.add(cropped, bias), [n, full - 2 * pad, w.shape[2]]);
}

/**
 * Returns `GroupNorm(groups, C)(x)` for channels-last input of any rank ≥ 3 (`[N, ..., C]`).
 * @param gamma `[C]` @param beta `[C]`
 */
export function groupNorm(x: tf.Tensor, groups: number, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const n = shape[0]!;
  const c = shape[shape.length - 1]!;
  const grouped = tf.reshape(x, [n, -1, groups, c / groups]);
  const { mean, variance } = tf.moments(grouped, [1, 3], true);
  const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, GROUP_NORM_EPS)));
  return tf.add(tf.mul(tf.reshape(normed, shape), gamma), beta);
}

let maxPoolFn: ((x: tf.Tensor4D) => tf.Tensor4D) | undefined;

/**
 * Returns `MaxPool2d(3, stride 2, padding 1)(x)` (the ResNet stem pool) whose gradient goes to the
 * first maximum of each window in row-major order, as PyTorch routes it (backends differ in how
 * they break ties, and flat image regions make ties common). Caveat: wasm's convolutions round
 * identical patches differently by position, so PyTorch's exact ties can arrive here as
 * near-ties and route a few stem gradients elsewhere (see test/model/parity-wasm.test.ts).
 * @param x `[N, H, W, C]`
 */
export function maxPoolStem(x: tf.Tensor4D): tf.Tensor4D {
  maxPoolFn ??= tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: tf.maxPool(input as tf.Tensor4D, 3, 2, 1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => firstMaxGrad(saved[0] as tf.Tensor4D, dy as tf.Tensor4D),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
  return maxPoolFn(x);
}

/**
 * Returns the 3×3/2 (pad 1) max-pool input gradient with ties sent to the first maximum: the nine
 * window taps are strided views of the padded input; each tap takes `dy` where it equals the max
 * and no earlier tap did, and is scattered back by interleaving zeros. Tensor ops only, so it
 * stays on the backend's device.
 */
function firstMaxGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, oh, ow] = dy.shape;
    const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity);
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) taps.push(tf.stridedSlice(padded, [0, i, j, 0], [n, i + 2 * oh - 1, j + 2 * ow - 1, c], [1, 2, 2, 1]) as tf.Tensor4D);
    }
    const max = taps.reduce((m, t) => tf.maximum(m, t));
    let taken: tf.Tensor = tf.zerosLike(max);
    let frame: tf.Tensor = tf.zeros([n, h + 2, w + 2, c]);
    taps.forEach((tap, k) => {
      const first = tf.mul(tf.cast(tf.equal(tap, max), 'float32'), tf.sub(1, taken));
      taken = tf.add(taken, first);
      // Interleave zeros so value (y, x) lands at (2y, 2x), then shift by the tap's offset.
      const spread = tf.reshape(tf.pad(tf.reshape(tf.mul(dy, first), [n, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, 1], [0, 0], [0, 1], [0, 0]]), [n, 2 * oh, 2 * ow, c]) as tf.Tensor4D;
      frame = tf.add(frame, placeAt(spread, Math.floor(k / 3), k % 3, h + 2, w + 2));
    });
    return tf.slice(frame, [0, 1, 1, 0], [-1, h, w, -1]) as tf.Tensor4D;
  });
}

/** Returns `t` placed at row/col offset `(r, q)` of a zero `[N, rows, cols, C]` frame (cropping overhang, which is zero). */
function placeAt(t: tf.Tensor4D, r: number, q: number, rows: number, cols: number): tf.Tensor4D {
  const keepR = Math.min(t.shape[1], rows - r);
  const keepQ = Math.min(t.shape[2], cols - q);
  const cut = tf.slice(t, [0, 0, 0, 0], [-1, keepR, keepQ, -1]);
  return tf.pad(cut, [[0, 0], [r, rows - r - keepR], [q, cols - q - keepQ], [0, 0]]);
}

/** Returns `Mish(x) = x · tanh(softplus(x))`. */
export function mish(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.tanh(tf.softplus(x)));
}

/**
 * Returns `Linear(x)`.
 * @param x `[N, I]` @param w `[I, O]` @param b `[O]`
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, w), b);
}
