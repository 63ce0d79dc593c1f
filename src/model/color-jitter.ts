/**
 * robomimic's train-mode `ColorRandomizer`: per image, torchvision 0.14's `adjust_brightness`,
 * `adjust_contrast`, `adjust_saturation` and `adjust_hue` (float-tensor versions) applied in a
 * random order with factors drawn from the configured ranges. Images are channels-last here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ColorSpec } from './config.ts';

/** One colour transform: its four factors and the order the ops run in (0 brightness … 3 hue). */
export interface ColorDraw {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  order: number[];
}

/**
 * Returns the jittered images, rows ordered `row·S + sample`.
 * @param x `[N, H, W, 3]` in [0, 1] @param draws per row, `S` draws each
 */
export function applyColorJitter(x: tf.Tensor4D, draws: ColorDraw[][]): tf.Tensor4D {
  const out: tf.Tensor4D[] = [];
  draws.forEach((perRow, row) => {
    const image = tf.slice(x, [row, 0, 0, 0], [1, -1, -1, -1]);
    for (const draw of perRow) out.push(jitterOne(image, draw));
  });
  return tf.concat(out, 0);
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

function jitterOne(image: tf.Tensor4D, draw: ColorDraw): tf.Tensor4D {
  let x = image;
  for (const op of draw.order) {
    if (op === 0) x = adjustBrightness(x, draw.brightness);
    else if (op === 1) x = adjustContrast(x, draw.contrast);
    else if (op === 2) x = adjustSaturation(x, draw.saturation);
    else x = adjustHue(x, draw.hue);
  }
  return x;
}

/** torchvision `_blend`: `clamp(r·a + (1−r)·b, 0, 1)`. */
function blend(a: tf.Tensor, b: tf.Tensor | number, ratio: number): tf.Tensor4D {
  return tf.clipByValue(tf.add(tf.mul(a, ratio), tf.mul(b, 1 - ratio)), 0, 1) as tf.Tensor4D;
}

/** torchvision `rgb_to_grayscale` (one channel): `0.2989 r + 0.587 g + 0.114 b`, `[N, H, W, 1]`. */
function grayscale(x: tf.Tensor4D): tf.Tensor4D {
  const [r, g, b] = tf.split(x, 3, 3);
  return tf.add(tf.add(tf.mul(r!, 0.2989), tf.mul(g!, 0.587)), tf.mul(b!, 0.114)) as tf.Tensor4D;
}

/** Returns torchvision `adjust_brightness(x, f)`. */
export function adjustBrightness(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return blend(x, 0, f);
}

/** Returns torchvision `adjust_contrast(x, f)`: blend with the image's mean grey level. */
export function adjustContrast(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return blend(x, tf.mean(grayscale(x), [1, 2, 3], true), f);
}

/** Returns torchvision `adjust_saturation(x, f)`: blend with the grey image. */
export function adjustSaturation(x: tf.Tensor4D, f: number): tf.Tensor4D {
  return blend(x, grayscale(x), f);
}

/** Returns torchvision `adjust_hue(x, f)`: rotate the HSV hue by `f` turns. */
export function adjustHue(x: tf.Tensor4D, f: number): tf.Tensor4D {
  const [h, s, v] = rgbToHsv(x);
  return hsvToRgb(tf.mod(tf.add(h, f), 1), s, v);
}

function rgbToHsv(x: tf.Tensor4D): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [r, g, b] = tf.split(x, 3, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const maxc = tf.max(x, 3, true);
  const minc = tf.min(x, 3, true);
  const eqc = tf.equal(maxc, minc);
  const cr = tf.sub(maxc, minc);
  const ones = tf.onesLike(maxc);
  const s = tf.div(cr, tf.where(eqc, ones, maxc));
  const crDivisor = tf.where(eqc, ones, cr);
  const rc = tf.div(tf.sub(maxc, r), crDivisor);
  const gc = tf.div(tf.sub(maxc, g), crDivisor);
  const bc = tf.div(tf.sub(maxc, b), crDivisor);
  const isR = tf.equal(maxc, r);
  const isG = tf.logicalAnd(tf.equal(maxc, g), tf.logicalNot(isR));
  const isB = tf.logicalAnd(tf.logicalNot(tf.equal(maxc, g)), tf.logicalNot(isR));
  const hr = tf.mul(tf.cast(isR, 'float32'), tf.sub(bc, gc));
  const hg = tf.mul(tf.cast(isG, 'float32'), tf.sub(tf.add(rc, 2), bc));
  const hb = tf.mul(tf.cast(isB, 'float32'), tf.sub(tf.add(gc, 4), rc));
  const h = tf.mod(tf.add(tf.div(tf.add(tf.add(hr, hg), hb), 6), 1), 1);
  return [h, s, maxc];
}

function hsvToRgb(h: tf.Tensor, s: tf.Tensor, v: tf.Tensor): tf.Tensor4D {
  const h6 = tf.mul(h, 6);
  const i = tf.floor(h6);
  const f = tf.sub(h6, i);
  const p = tf.clipByValue(tf.mul(v, tf.sub(1, s)), 0, 1);
  const q = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, f))), 0, 1);
  const t = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, tf.sub(1, f)))), 0, 1);
  const sector = tf.mod(tf.cast(i, 'int32'), 6);
  // Sector k picks (r, g, b) from these rows, as torchvision's einsum over a one-hot mask does.
  const table: tf.Tensor[][] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ];
  const channel = (c: number): tf.Tensor => {
    let acc: tf.Tensor = tf.zerosLike(v);
    table.forEach((row, k) => {
      acc = tf.add(acc, tf.mul(tf.cast(tf.equal(sector, k), 'float32'), row[c]!));
    });
    return acc;
  };
  return tf.concat([channel(0), channel(1), channel(2)], 3) as tf.Tensor4D;
}
