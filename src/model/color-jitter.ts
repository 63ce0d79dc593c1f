/**
 * robomimic's train-mode `ColorRandomizer`: per image, torchvision 0.14's `adjust_brightness`,
 * `adjust_contrast`, `adjust_saturation` and `adjust_hue` (float-tensor versions) applied in a
 * random order with factors drawn from the configured ranges. Images are channels-last here.
 *
 * Built for the wasm backend, where a slice copies its whole input, a channels-last concat copies
 * one pixel per call, comparisons, selects, min/max and mod run far slower than XNNPACK's
 * arithmetic, and each kernel call costs ~15 µs. So the batch is held as three channel planes
 * `[H·W, n]` (one transpose in, one out) and the four steps of the random order run over the whole
 * batch: at step k every image applies its own op `order[k]` with its own factor. Every float op
 * is torchvision's, in its order; its masked sums (`bool · value`, the one-hot einsum) are sums of
 * products with 0/1 masks here too, and a choice between two values is `a·m + b·(1 − m)`: exact,
 * because all values are finite and every other term is a signed zero. Masks come from `step`
 * (`x > 0`), so no comparison kernel runs. The output is bit-identical to applying the single ops
 * image by image (test/model/color-jitter.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { invariant } from '../invariant.ts';
import type { ColorSpec } from './config.ts';

/** One colour transform: its four factors and the order the ops run in (0 brightness … 3 hue). */
export interface ColorDraw {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  order: number[];
}

/** The images as red, green and blue planes, each `[H·W, n]`: image-minor, so that picking images is a product with a small matrix. */
type Planes = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];

const BRIGHTNESS = 0;
const CONTRAST = 1;
const SATURATION = 2;
const HUE = 3;

/**
 * Returns the jittered images, rows ordered `row·S + sample`. Its gradient is zero and none of its
 * ops is recorded on a gradient tape: the images are data.
 * @param x `[N, H, W, 3]` in [0, 1] @param draws per row, `S` draws each
 */
export function applyColorJitter(x: tf.Tensor4D, draws: ColorDraw[][]): tf.Tensor4D {
  const samples = draws[0]?.length ?? 0;
  invariant(draws.length === x.shape[0] && samples > 0 && draws.every((d) => d.length === samples), 'colour draws must be one list of S ≥ 1 per image row');
  const all = draws.flat();
  const jitter = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.tidy(() => {
      let planes = toPlanes(input as tf.Tensor4D, samples);
      for (let k = 0; k < 4; k++) {
        planes = applyStep(planes, all.map((d) => d.order[k]!), all.map((d) => factorOf(d, d.order[k]!)));
      }
      return fromPlanes(planes, x.shape);
    }),
    gradFunc: () => tf.zerosLike(input),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return jitter(x) as tf.Tensor4D;
}

/** Returns the draws robomimic would make (factors U[range], then a uniform shuffle), from `uniform()` ∈ [0, 1). */
export function drawColor(spec: ColorSpec, uniform: () => number): ColorDraw {
  const u = (r: [number, number]): number => r[0] + (r[1] - r[0]) * uniform();
  const draw: ColorDraw = { brightness: u(spec.brightness), contrast: u(spec.contrast), saturation: u(spec.saturation), hue: u(spec.hue), order: [0, 1, 2, 3] };
  for (let i = 3; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [draw.order[i], draw.order[j]] = [draw.order[j]!, draw.order[i]!];
  }
  return draw;
}

/** Returns torchvision `adjust_brightness(x, f)`. @param x `[N, H, W, 3]` */
export function adjustBrightness(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return single(x, BRIGHTNESS, f);
}

/** Returns torchvision `adjust_contrast(x, f)`: blend with the image's mean grey level. @param x `[N, H, W, 3]` */
export function adjustContrast(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return single(x, CONTRAST, f);
}

/** Returns torchvision `adjust_saturation(x, f)`: blend with the grey image. @param x `[N, H, W, 3]` */
export function adjustSaturation(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return single(x, SATURATION, f);
}

/** Returns torchvision `adjust_hue(x, f)`: rotate the HSV hue by `f` turns. @param x `[N, H, W, 3]` */
export function adjustHue(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return single(x, HUE, f);
}

function single(x: tf.Tensor4D, op: number, f: number): tf.Tensor4D {
  const n = x.shape[0];
  return tf.tidy(() => fromPlanes(applyStep(toPlanes(x, 1), new Array<number>(n).fill(op), new Array<number>(n).fill(f)), x.shape));
}

function factorOf(draw: ColorDraw, op: number): number {
  return [draw.brightness, draw.contrast, draw.saturation, draw.hue][op]!;
}

/** Splits `[N, H, W, 3]` into planes, each image repeated `samples` times (images `row·S + sample`). */
function toPlanes(x: tf.Tensor4D, samples: number): Planes {
  const [n, h, w] = x.shape;
  const rows = tf.reshape(x, [n, 1, h * w * 3]);
  const repeated = samples === 1 ? x : tf.reshape(tf.concat(new Array<tf.Tensor>(samples).fill(rows), 1), [n * samples, h, w, 3]);
  const planes = tf.split(tf.transpose(repeated, [3, 1, 2, 0]), 3, 0);
  return planes.map((p) => tf.reshape(p, [h * w, n * samples])) as Planes;
}

function fromPlanes(planes: Planes, [, h, w]: number[]): tf.Tensor4D {
  const n = planes[0].shape[1];
  return tf.transpose(tf.reshape(tf.concat(planes.map((p) => tf.reshape(p, [1, h! * w!, n])), 0), [3, h!, w!, n]), [3, 1, 2, 0]);
}

/** Per-image values as `[1, n]`, each rounded to float32 as torch rounds a Python float operand. */
function perImage(values: number[]): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(values), [1, values.length]);
}

/** `a` where `m` is 1, `b` where it is 0 (`m` all 0/1). */
function choose(m: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
}

/** 1 where `d` is 0, else 0, for `d ≥ 0` (a difference that is 0 exactly when its operands are equal). */
function isZero(d: tf.Tensor): tf.Tensor2D {
  return tf.sub(1, tf.step(d));
}

/**
 * One step of the random order: image `i` applies op `ops[i]` with factor `factors[i]`. Hue, the
 * costly op, runs on just the images that apply it: they are picked out and put back by products
 * with 0/1 selection matrices, exact since each output is one value times 1 plus zeros.
 */
function applyStep(planes: Planes, ops: number[], factors: number[]): Planes {
  const n = ops.length;
  const hueRows = ops.flatMap((op, i) => (op === HUE ? [i] : []));
  if (hueRows.length === n) return adjustHuePlanes(planes, factors);
  const blended = blendStep(planes, ops, factors);
  if (hueRows.length === 0) return blended;
  const select = (rows: number, cols: number, one: (row: number, col: number) => boolean): tf.Tensor2D =>
    tf.tensor2d(Float32Array.from({ length: rows * cols }, (_, k) => (one(Math.floor(k / cols), k % cols) ? 1 : 0)), [rows, cols]);
  const pick = select(n, hueRows.length, (row, col) => hueRows[col] === row);
  const place = select(hueRows.length, n, (row, col) => hueRows[row] === col);
  const hued = adjustHuePlanes(planes.map((p) => tf.matMul(p, pick)) as Planes, hueRows.map((i) => factors[i]!));
  return blended.map((b, c) => tf.add(b, tf.matMul(hued[c]!, place))) as Planes;
}

/**
 * torchvision `_blend(x, other, r) = clamp(r·x + (1 − r)·other, 0, 1)` per image, with `other` 0
 * (brightness), the mean grey level (contrast) or the grey image (saturation); `1 − r` is taken in
 * double before rounding, as Python does. Images whose op is hue come out 0 (ratio 0, no other),
 * ready for their hue result to be added.
 */
function blendStep(planes: Planes, ops: number[], factors: number[]): Planes {
  const pixels = planes[0].shape[0];
  const ratio = spread(perImage(factors.map((f, i) => (ops[i] === HUE ? 0 : f))), pixels);
  const target = blendTarget(planes, ops, factors.map((f, i) => (ops[i] === HUE ? 0 : 1 - f)));
  return planes.map((p) => {
    const scaled = tf.mul(p, ratio);
    // With only brightness (other = 0) there is no target: `(1 − r)·0` is a signed zero, adding it changes nothing.
    return tf.clipByValue(target ? tf.add(scaled, target) : scaled, 0, 1);
  }) as Planes;
}

/**
 * `(1 − r)·other` per image: the grey image times `1 − r` where the op is saturation, the mean grey
 * times it where contrast, 0 elsewhere; null when no image needs grey.
 */
function blendTarget(planes: Planes, ops: number[], rest: number[]): tf.Tensor2D | null {
  const anySaturation = ops.includes(SATURATION);
  const anyContrast = ops.includes(CONTRAST);
  if (!anySaturation && !anyContrast) return null;
  const pixels = planes[0].shape[0];
  const only = (op: number): tf.Tensor2D => perImage(rest.map((c, i) => (ops[i] === op ? c : 0)));
  const grey = grayscale(planes);
  const saturation = anySaturation ? tf.mul<tf.Tensor2D>(grey, spread(only(SATURATION), pixels)) : null;
  const contrast = anyContrast ? spread(tf.mul<tf.Tensor2D>(tf.mean(grey, 0, true), only(CONTRAST)), pixels) : null;
  return saturation && contrast ? tf.add<tf.Tensor2D>(saturation, contrast) : (saturation ?? contrast);
}

/**
 * Returns `row` repeated down `pixels` rows: a product with a column of ones (exact), far cheaper
 * on wasm than Tile or an elementwise op that broadcasts along the inner axis.
 */
function spread(row: tf.Tensor2D, pixels: number): tf.Tensor2D {
  return tf.matMul(tf.ones([pixels, 1]), row);
}

/** torchvision `rgb_to_grayscale` (one channel): `(0.2989 r + 0.587 g) + 0.114 b`. */
function grayscale([r, g, b]: Planes): tf.Tensor2D {
  return tf.add(tf.add(tf.mul(r, 0.2989), tf.mul(g, 0.587)), tf.mul(b, 0.114));
}

/** torchvision `adjust_hue` per image: `h ← (h + f) mod 1` in HSV. */
function adjustHuePlanes(planes: Planes, factors: number[]): Planes {
  const [h, s, v] = rgbToHsv(planes);
  return hsvToRgb(floorMod1(tf.add(h, perImage(factors))), s, v);
}

/**
 * `y mod 1` for `y` in (−1, 2): `y − floor(y)` rounds only where torch's remainder
 * (`fmod`, plus 1 when negative) rounds, and the same way.
 */
function floorMod1(y: tf.Tensor): tf.Tensor2D {
  return tf.sub(y, tf.floor(y));
}

/** 1 where `a > b`, else 0. */
function greater(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.step(tf.sub(a, b));
}

/** torchvision `_rgb2hsv`. */
function rgbToHsv([r, g, b]: Planes): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const rAboveG = greater(r, g);
  const maxRG = choose(rAboveG, r, g);
  const minRG = choose(rAboveG, g, r);
  const maxc = choose(greater(maxRG, b), maxRG, b);
  const minc = choose(greater(minRG, b), b, minRG);
  const cr = tf.sub(maxc, minc);
  const eqc = isZero(cr);
  // Where eqc, torchvision divides by 1 instead; cr is 0 there, so any non-zero divisor gives 0.
  const s = tf.div<tf.Tensor2D>(cr, tf.add(maxc, eqc));
  const crDivisor = tf.add(cr, eqc);
  const rc = tf.div(tf.sub(maxc, r), crDivisor);
  const gc = tf.div(tf.sub(maxc, g), crDivisor);
  const bc = tf.div(tf.sub(maxc, b), crDivisor);
  const isR = isZero(tf.sub(maxc, r));
  const notR = tf.sub(1, isR);
  const isG = isZero(tf.sub(maxc, g));
  const hr = tf.mul(isR, tf.sub(bc, gc));
  const hg = tf.mul(tf.mul(isG, notR), tf.sub(tf.add(rc, 2), bc));
  const hb = tf.mul(tf.mul(tf.sub(1, isG), notR), tf.sub(tf.add(gc, 4), rc));
  const h = tf.add(tf.add(hr, hg), hb);
  return [floorMod1(tf.add(tf.div(h, 6), 1)), s, maxc];
}

/**
 * torchvision `_hsv2rgb`. Sector `i = floor(6h)` is 0…6 (6 is sector 0); `atLeast[k]` is
 * `i ≥ k`, so a run of sectors `[j, k)` is `atLeast[j] − atLeast[k]`.
 */
function hsvToRgb(h: tf.Tensor, s: tf.Tensor, v: tf.Tensor): Planes {
  const h6 = tf.mul(h, 6);
  const i = tf.floor(h6);
  const f = tf.sub(h6, i);
  const p = tf.clipByValue(tf.mul(v, tf.sub(1, s)), 0, 1);
  const q = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, f))), 0, 1);
  const t = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, tf.sub(1, f)))), 0, 1);
  const atLeast = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => (k === 0 ? 1 : k === 7 ? 0 : tf.step(tf.sub(i, k - 0.5))));
  const run = (j: number, k: number): tf.Tensor | number => (j === 0 && k === 7 ? 1 : tf.sub(atLeast[j]!, atLeast[k]!));
  // Per channel, the sectors (as runs of 0…6) where it takes v, q, p and t.
  const channel = (vRuns: [number, number][], qRun: [number, number], pRuns: [number, number][], tRuns: [number, number][]): tf.Tensor2D => {
    const mask = (runs: [number, number][]): tf.Tensor => runs.map(([j, k]) => run(j, k) as tf.Tensor).reduce((a, b) => tf.add(a, b));
    return tf.add(tf.add(tf.add(tf.mul(v, mask(vRuns)), tf.mul(q, run(...qRun))), tf.mul(p, mask(pRuns))), tf.mul(t, mask(tRuns)));
  };
  return [
    channel([[0, 1], [5, 7]], [1, 2], [[2, 4]], [[4, 5]]),
    channel([[1, 3]], [3, 4], [[4, 6]], [[0, 1], [6, 7]]),
    channel([[3, 5]], [5, 6], [[0, 2], [6, 7]], [[2, 3]]),
  ];
}
