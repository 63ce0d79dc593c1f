/**
 * robomimic's train-mode `ColorRandomizer`: per image, torchvision 0.14's `adjust_brightness`,
 * `adjust_contrast`, `adjust_saturation` and `adjust_hue` (float-tensor versions) applied in a
 * random order with factors drawn from the configured ranges.
 *
 * It runs on the host, on the batch as read (channels-last float32 in [0, 1]), before the images
 * are uploaded: the images are data, no gradient flows into them, and a pixel loop here costs a
 * small fraction of the ~40 backend kernels per op that a tensor formulation launches. Every
 * arithmetic step is torchvision's, in its order, rounded to float32 as torch rounds it (each
 * `Math.fround` of a double result of two float32 operands is the float32 result; a Python
 * float operand is rounded to float32 first, as torch's CPU kernels do with a wrapped scalar).
 * The one exception is the contrast's mean grey level, summed in double where torch sums
 * float32 in blocks: the two differ in the last bits of the mean.
 */
import type { ColorSpec } from './config.ts';
import { invariant } from '../invariant.ts';

/** One colour transform: its four factors and the order the ops run in (0 brightness … 3 hue). */
export interface ColorDraw {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  order: number[];
}

/** Channels-last float32 images `[N, H, W, 3]`. */
export interface HostImages {
  shape: [number, number, number, number];
  data: Float32Array;
}

export const BRIGHTNESS = 0;
export const CONTRAST = 1;
export const SATURATION = 2;
export const HUE = 3;

const f32 = Math.fround;
const GREY_R = f32(0.2989);
const GREY_G = f32(0.587);
const GREY_B = f32(0.114);

/** Returns robomimic's draws (factors U[range], then a uniform shuffle of the ops), from `uniform()` ∈ [0, 1). */
export function drawColor(spec: ColorSpec, uniform: () => number): ColorDraw {
  const u = (r: [number, number]): number => r[0] + (r[1] - r[0]) * uniform();
  const draw: ColorDraw = { brightness: u(spec.brightness), contrast: u(spec.contrast), saturation: u(spec.saturation), hue: u(spec.hue), order: [0, 1, 2, 3] };
  for (let i = 3; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [draw.order[i], draw.order[j]] = [draw.order[j]!, draw.order[i]!];
  }
  return draw;
}

/**
 * Returns the jittered images: each input row once per draw of that row, rows ordered
 * `row·S + sample` (robomimic stacks `N` transforms per input image).
 * @param draws per row, `S ≥ 1` draws each
 */
export function jitterImages(images: HostImages, draws: ColorDraw[][]): HostImages {
  const [n, h, w] = images.shape;
  const samples = draws[0]?.length ?? 0;
  invariant(draws.length === n && samples > 0 && draws.every((d) => d.length === samples), 'colour draws must be one list of S ≥ 1 per image row');
  const size = h * w * 3;
  const out = new Float32Array(n * samples * size);
  draws.forEach((perRow, row) => {
    const source = images.data.subarray(row * size, (row + 1) * size);
    perRow.forEach((draw, sample) => {
      const image = out.subarray((row * samples + sample) * size, (row * samples + sample + 1) * size);
      image.set(source);
      for (const op of draw.order) adjustImage(image, op, factorOf(draw, op));
    });
  });
  return { shape: [n * samples, h, w, 3], data: out };
}

/** Applies one torchvision op to one channels-last image `[H·W·3]`, in place. */
export function adjustImage(image: Float32Array, op: number, factor: number): void {
  if (op === HUE) adjustHue(image, factor);
  else if (op === SATURATION) blendGrey(image, factor);
  else blendConstant(image, factor, op === CONTRAST ? meanGrey(image) : 0);
}

function factorOf(draw: ColorDraw, op: number): number {
  return [draw.brightness, draw.contrast, draw.saturation, draw.hue][op]!;
}

/** torchvision `rgb_to_grayscale` of the pixel at `i`: `(0.2989 r + 0.587 g) + 0.114 b`. */
function grey(image: Float32Array, i: number): number {
  return f32(f32(f32(GREY_R * image[i]!) + f32(GREY_G * image[i + 1]!)) + f32(GREY_B * image[i + 2]!));
}

function meanGrey(image: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < image.length; i += 3) sum += grey(image, i);
  return f32(sum / (image.length / 3));
}

/**
 * torchvision `_blend(x, other, r) = clamp(r·x + (1 − r)·other, 0, 1)` with `other` one value
 * (0 for brightness, the mean grey for contrast); `1 − r` is taken in double, as Python does.
 */
function blendConstant(image: Float32Array, ratio: number, other: number): void {
  const r = f32(ratio);
  const o = f32(f32(1 - ratio) * other);
  for (let i = 0; i < image.length; i++) image[i] = clamp01(f32(f32(r * image[i]!) + o));
}

/** `_blend` with the grey image (saturation), each pixel's grey read before the pixel changes. */
function blendGrey(image: Float32Array, ratio: number): void {
  const r = f32(ratio);
  const rest = f32(1 - ratio);
  for (let i = 0; i < image.length; i += 3) {
    const o = f32(rest * grey(image, i));
    image[i] = clamp01(f32(f32(r * image[i]!) + o));
    image[i + 1] = clamp01(f32(f32(r * image[i + 1]!) + o));
    image[i + 2] = clamp01(f32(f32(r * image[i + 2]!) + o));
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** torchvision `adjust_hue`: `_rgb2hsv`, `h ← (h + f) mod 1`, `_hsv2rgb`, per pixel. */
function adjustHue(image: Float32Array, factor: number): void {
  const shift = f32(factor);
  for (let i = 0; i < image.length; i += 3) {
    const r = image[i]!;
    const g = image[i + 1]!;
    const b = image[i + 2]!;
    // _rgb2hsv
    const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
    const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
    const eqc = maxc === minc;
    const cr = f32(maxc - minc);
    const s = f32(cr / (eqc ? 1 : maxc));
    const divisor = eqc ? 1 : cr;
    const rc = f32(f32(maxc - r) / divisor);
    const gc = f32(f32(maxc - g) / divisor);
    const bc = f32(f32(maxc - b) / divisor);
    // Exactly one of torchvision's three masked terms is selected; the others are zeros.
    const h = maxc === r ? f32(bc - gc) : maxc === g ? f32(f32(2 + rc) - bc) : f32(f32(4 + gc) - rc);
    const hue = remainder1(f32(remainder1(f32(f32(h / 6) + 1)) + shift));
    // _hsv2rgb
    const h6 = f32(hue * 6);
    const sector = Math.floor(h6);
    const f = f32(h6 - sector);
    const p = clamp01(f32(maxc * f32(1 - s)));
    const q = clamp01(f32(maxc * f32(1 - f32(s * f))));
    const t = clamp01(f32(maxc * f32(1 - f32(s * f32(1 - f)))));
    setRgb(image, i, sector % 6, maxc, p, q, t);
  }
}

/** torchvision's one-hot pick of `(r, g, b)` by hue sector: `r ∈ (v,q,p,p,t,v)`, `g ∈ (t,v,v,q,p,p)`, `b ∈ (p,p,t,v,v,q)`. */
function setRgb(image: Float32Array, i: number, sector: number, v: number, p: number, q: number, t: number): void {
  switch (sector) {
    case 0: image[i] = v; image[i + 1] = t; image[i + 2] = p; break;
    case 1: image[i] = q; image[i + 1] = v; image[i + 2] = p; break;
    case 2: image[i] = p; image[i + 1] = v; image[i + 2] = t; break;
    case 3: image[i] = p; image[i + 1] = q; image[i + 2] = v; break;
    case 4: image[i] = t; image[i + 1] = p; image[i + 2] = v; break;
    default: image[i] = v; image[i + 1] = p; image[i + 2] = q;
  }
}

/**
 * torch's `x % 1.0` (and `fmod(x, 1)` for x ≥ 0) for `x` in (−1, 2): `x − floor(x)` is exact for
 * x ≥ 0 and is `x + 1`, which torch rounds too, for x < 0. (JavaScript's `%` on doubles is a
 * library call, the costliest step of the pixel loop.)
 */
function remainder1(x: number): number {
  return f32(x - Math.floor(x));
}
