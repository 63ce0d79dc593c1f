/**
 * The layer arithmetic of the policy in tfjs, matching PyTorch's definitions: convolutions with
 * PyTorch's symmetric zero padding, GroupNorm (biased variance, eps 1e-5), Mish, Linear.
 *
 * Convolutions carry their own gradients, built only from forward Conv2D kernels, because the wasm
 * backend has no Conv2DBackpropFilter kernel and its Conv2DBackpropInput is a plain loop, while its
 * Conv2D runs on XNNPACK; every backend then computes the same numbers the same way.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-kernels.ts';

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
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, strides: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]); // [I, H, W, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, O]
    const full = tf.conv2d(xt, f, 1, 'valid', 'NHWC', strides); // [I, ≥kH, ≥kW, O]
    return tf.transpose(tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
  });
}

/**
 * Returns the input gradient of a 'valid' convolution with filter `w` and strides `[sh, sw]`
 * (equivalently a 'valid' transposed convolution of `dy`), as a stride-1 forward convolution: `dy`
 * dilated by the stride (zeros between rows and columns), zero-padded by `k−1` (plus the input rows
 * and columns the forward stride skipped at the end), convolved with `w` flipped in space and with
 * its channel axes swapped.
 *
 * @param dy `[N, OH, OW, O]` @param w `[kH, kW, I, O]` @param inHW the input's `[H, W]` @returns `[N, H, W, I]`
 */
export function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, inHW: [number, number], strides: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, oh, ow, o] = dy.shape;
    const [kh, kw] = w.shape;
    const [sh, sw] = strides;
    // Rows and columns left after the dilated `dy` (which ends in s−1 zeros) and the leading k−1 pad.
    let tailH = inHW[0] - oh * sh;
    let tailW = inHW[1] - ow * sw;
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      // Interleave zeros by padding a unit axis after each spatial axis, one axis at a time: pads
      // of rank 5 and more do not compile on webgpu (tfjs 4.22 indexes its vec5/vec6 structs).
      if (sw > 1) d = tf.reshape(tf.pad(tf.reshape(d, [n * oh, ow, 1, o]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [n, oh, ow * sw, o]);
      if (sh > 1) d = tf.reshape(tf.pad(tf.reshape(d, [n, oh, 1, ow * sw * o]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [n, oh * sh, ow * sw, o]);
      if (tailH < 0 || tailW < 0) {
        // Only a kernel narrower than its stride: the last skipped input row or column is not there.
        d = sliceWindow(d, [0, 0, 0], [-1, oh * sh + Math.min(tailH, 0), ow * sw + Math.min(tailW, 0)]);
        tailH = Math.max(tailH, 0);
        tailW = Math.max(tailW, 0);
      }
    }
    const padded = tf.pad(d, [[0, 0], [kh - 1, tailH], [kw - 1, tailW], [0, 0]]);
    // Reversing both spatial axes is reversing their flattened product: a product with the exchange
    // matrix, exact (one 1 per row) and far cheaper on wasm than Reverse or a gather of taps.
    const taps = kh * kw;
    // A 1×1 kernel is its own reversal; skipping the product also keeps webgpu's dispatch in its
    // limits ([1, 1]·[1, I·O] spreads 2M columns of ResNet50's widest 1×1 kernel over too many workgroups).
    const reversed = taps === 1 ? tf.reshape(w, [1, w.shape[2], o]) : tf.reshape(tf.matMul(exchangeMatrix(taps), tf.reshape(w, [taps, -1])), [taps, w.shape[2], o]);
    const flipped = tf.reshape(tf.transpose(reversed, [0, 2, 1]), [kh, kw, o, w.shape[2]]) as tf.Tensor4D; // [kH, kW, O, I]
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

/** Returns the `[n, n]` exchange matrix (ones on the anti-diagonal): multiplying by it reverses rows. */
function exchangeMatrix(n: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: n * n }, (_, k) => (k % n === n - 1 - Math.floor(k / n) ? 1 : 0)), [n, n]);
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
            convInputGrad(dy as tf.Tensor4D, sw, [sx.shape[1], sx.shape[2]], strides),
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
      return {
        value: convInputGrad(x as tf.Tensor4D, w as tf.Tensor4D, outHW, strides),
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
 * Returns `tf.slice(x, begin, size)` (`size` −1: to the end) with the trailing axes it takes whole
 * merged into the axis before them: wasm's slice copies one run of the innermost axis per call,
 * so an NHWC window `[:, top:…, left:…, :]` copies runs of `width·C` values instead of C (3 for an
 * image, a few thousand calls for a feature map).
 */
export function sliceRuns<T extends tf.Tensor>(x: T, begin: number[], size: number[]): T {
  const shape = x.shape;
  const sizes = size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s));
  let last = shape.length - 1;
  while (last > 0 && begin[last] === 0 && sizes[last] === shape[last]) last--;
  const run = shape.slice(last + 1).reduce((a, b) => a * b, 1);
  const merged = tf.reshape(x, [...shape.slice(0, last), shape[last]! * run]);
  const window = tf.slice(merged, [...begin.slice(0, last), begin[last]! * run], [...sizes.slice(0, last), sizes[last]! * run]);
  return tf.reshape(window, sizes) as T;
}

/** Returns the window `x[b0:b0+nb, top:top+height, left:left+width, :]` of an NHWC tensor (`nb` −1: to the end). */
export function sliceWindow(x: tf.Tensor4D, [b0, top, left]: [number, number, number], [nb, height, width]: [number, number, number]): tf.Tensor4D {
  return sliceRuns(x, [b0, top, left, 0], [nb, height, width, -1]);
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
 * Returns `Conv2d(x)` for a first layer, whose input is an image and never needs a gradient: only
 * the filter gets one, which skips the step's largest input-gradient convolution.
 * @param x `[N, H, W, I]` @param w `[kH, kW, I, O]`
 */
export function imageConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  const strides: [number, number] = [stride, stride];
  // The image is closed over rather than passed, so the tape never asks for its gradient; it is
  // saved so that it outlives the forward pass.
  const conv = tf.customGrad(((filter: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([padded]);
    return {
      value: tf.conv2d(padded, filter, strides, 'valid'),
      gradFunc: (dy: tf.Tensor, [image]: tf.Tensor[]) => [convFilterGrad(image as tf.Tensor4D, dy as tf.Tensor4D, w.shape[0], w.shape[1], strides)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (filter: tf.Tensor4D) => tf.Tensor4D;
  return conv(w);
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
  const cropped = sliceWindow(y, [0, 0, pad], [-1, 1, full - 2 * pad]);
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
  // One group is one run per sample: reduced as `[N, ·]`, wasm's Sum and Mean skip the transpose
  // they otherwise make first (a no-op permutation here, still a copy of the whole input).
  const grouped = groups === 1 ? tf.reshape(x, [n, -1]) : tf.reshape(x, [n, -1, groups, c / groups]);
  const { mean, variance } = tf.moments(grouped, groups === 1 ? [1] : [1, 3], true);
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
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        HOST_MEMORY_BACKENDS.has(tf.getBackend()) ? firstMaxGradOnHost(saved[0] as tf.Tensor4D, dy as tf.Tensor4D) : firstMaxGrad(saved[0] as tf.Tensor4D, dy as tf.Tensor4D),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
  return maxPoolFn(x);
}

/** Backends whose tensors live in this process's memory: reading one back is a copy, not a wait on a device. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * `firstMaxGrad` as one loop over the windows, for backends that hold tensors in host memory: a
 * read back, one pass and an upload, where the tensor formulation launches ~90 kernels over
 * copies of the input (a tenth of a training step on wasm).
 */
function firstMaxGradOnHost(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  const input = hostValues(x);
  const grad = hostValues(dy);
  const dx = new Float32Array(input.length);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const top = Math.max(0, 2 * oy - 1);
      const bottom = Math.min(h - 1, 2 * oy + 1);
      for (let ox = 0; ox < ow; ox++) {
        const left = Math.max(0, 2 * ox - 1);
        const right = Math.min(w - 1, 2 * ox + 1);
        const first = ((b * h + top) * w + left) * c;
        for (let k = 0; k < c; k++) {
          best[k] = input[first + k]!;
          at[k] = first + k;
        }
        // Taps in row-major order; as in PyTorch, only a larger value or a NaN moves the pick, so ties keep the first.
        for (let y = top; y <= bottom; y++) {
          for (let xx = left; xx <= right; xx++) {
            const base = ((b * h + y) * w + xx) * c;
            for (let k = 0; k < c; k++) {
              const v = input[base + k]!;
              if (v > best[k]! || v !== v) {
                best[k] = v;
                at[k] = base + k;
              }
            }
          }
        }
        const out = ((b * oh + oy) * ow + ox) * c;
        for (let k = 0; k < c; k++) dx[at[k]!] += grad[out + k]!;
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

/** A float32 tensor's values; on wasm a view of its heap memory (no copy), valid until the next kernel runs. */
function hostValues(t: tf.Tensor): Float32Array {
  return (tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend).typedArrayFromHeap(t) : t.dataSync()) as Float32Array;
}

/**
 * Returns the 3×3/2 (pad 1) max-pool input gradient with ties sent to the first maximum. The padded
 * input is split into its four (row, column) parity phases, so each of the nine window taps is a
 * plain slice of one phase; each tap takes `dy` where it equals the max and no earlier tap did, and
 * is added back into its phase at the tap's offset. Phases are split and interleaved by reshapes and
 * slices or concats along an axis of 2 (rows, then columns): wasm runs those as block copies, while
 * strided slices and rank-6 transposes take an element-by-element path that cost a third of a step.
 */
function firstMaxGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, oh, ow] = dy.shape;
    const [ph, pw] = [oh + 1, ow + 1];
    // Taps reach padded row 2·oh at most; pad to an even 2·(oh+1) rows (the extra row is never read).
    const padded = tf.pad(x, [[0, 0], [1, 2 * oh + 1 - h], [1, 2 * ow + 1 - w], [0, 0]], -Infinity);
    const byRow = tf.reshape(padded, [n * ph, 2, 2 * pw * c]);
    const phase = [0, 1].map((i) => {
      const byColumn = tf.reshape(tf.slice(byRow, [0, i, 0], [-1, 1, -1]), [n * ph * pw, 2, c]);
      return [0, 1].map((j) => tf.reshape(tf.slice(byColumn, [0, j, 0], [-1, 1, -1]), [n, ph, pw, c]) as tf.Tensor4D);
    });
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) taps.push(sliceWindow(phase[i % 2]![j % 2]!, [0, i >> 1, j >> 1], [n, oh, ow]));
    }
    const max = taps.reduce((m, t) => tf.maximum(m, t));
    let taken: tf.Tensor = tf.zerosLike(max);
    const grads: tf.Tensor[][] = [0, 1].map(() => [0, 1].map(() => tf.zeros([n, ph, pw, c])));
    taps.forEach((tap, k) => {
      const [i, j] = [Math.floor(k / 3), k % 3];
      const first = tf.mul(tf.cast(tf.equal(tap, max), 'float32'), tf.sub(1, taken));
      taken = tf.add(taken, first);
      const placed = tf.pad(tf.mul(dy, first), [[0, 0], [i >> 1, 1 - (i >> 1)], [j >> 1, 1 - (j >> 1)], [0, 0]]);
      grads[i % 2]![j % 2] = tf.add(grads[i % 2]![j % 2]!, placed);
    });
    // Interleave back: columns within each row phase, then the two row phases.
    const rows = grads.map((byColumn) => tf.reshape(tf.concat(byColumn.map((g) => tf.reshape(g, [n * ph * pw, 1, c])), 1), [n * ph, 1, 2 * pw * c]));
    const frame = tf.reshape(tf.concat(rows, 1), [n, 2 * ph, 2 * pw, c]) as tf.Tensor4D;
    return sliceWindow(frame, [0, 1, 1], [-1, h, w]);
  });
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
