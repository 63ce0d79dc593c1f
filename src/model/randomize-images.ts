/**
 * The train-mode image randomizers' `forward_in` (robomimic's `CropRandomizer` and
 * `ColorRandomizer`, in config order) on the host batch, before it is uploaded: the images are
 * data that no gradient reaches, so copying crop windows and jittering pixels here replaces
 * hundreds of backend kernels per step. The encoder then takes each image key's rows as they come
 * out (encoder.ts) and averages its features over each row's copies (`forward_out`).
 */
import type { PolicyConfig } from './config.ts';
import { drawColor, jitterImages, type ColorDraw, type HostImages } from './color-jitter.ts';
import { invariant } from '../invariant.ts';

/**
 * Random draws for the train-mode randomizers, per image key, per row each randomizer sees: the
 * folded rows (b·To + t) times the copies the randomizers before it made, row-major.
 */
export interface RandomizerDraws {
  /** Top-left crop offsets `[h, w]` per row, per crop. */
  cropOffsets?: Map<string, [number, number][][]>;
  /** Colour-jitter factors and order per row, per sample. */
  color?: Map<string, ColorDraw[][]>;
}

/** Host observations as the batch reader makes them: rgb `[B, To, H, W, C]`, low-dim `[B, To, D]`. */
export type HostObs = Record<string, { shape: number[]; data: Float32Array }>;

/** What the randomizers need of the policy config (all a batch worker is sent). */
export type ImageRandomizers = Pick<PolicyConfig, 'obsKeys' | 'rgb'>;

/**
 * Returns train-mode randomizer draws for every image key and folded row (b·To + t): crop offsets
 * `long((H − h)·U[0,1))` and colour-jitter factors, as robomimic's randomizers sample them, in a
 * fixed order (keys in config order, randomizers in theirs) so that runs replay from the seed.
 */
export function drawRandomizers(config: ImageRandomizers, rows: number, uniform: () => number): RandomizerDraws {
  const { rgb, obsKeys } = config;
  const cropOffsets = new Map<string, [number, number][][]>();
  const color = new Map<string, ColorDraw[][]>();
  for (const spec of obsKeys) {
    if (spec.modality !== 'rgb') continue;
    const [, H, W] = spec.shape as [number, number, number];
    // Each randomizer sees the rows the one before it made (crops and colour samples multiply them).
    let n = rows;
    for (const kind of rgb.randomizerOrder) {
      if (kind === 'crop' && rgb.crop) {
        const { height, width, numCrops } = rgb.crop;
        cropOffsets.set(
          spec.key,
          Array.from({ length: n }, () => Array.from({ length: numCrops }, (): [number, number] => [Math.floor((H - height) * uniform()), Math.floor((W - width) * uniform())])),
        );
        n *= numCrops;
      } else if (kind === 'color' && rgb.color) {
        const c = rgb.color;
        color.set(spec.key, Array.from({ length: n }, () => Array.from({ length: c.numSamples }, () => drawColor(c, uniform))));
        n *= c.numSamples;
      }
    }
  }
  return { cropOffsets, color };
}

/** Returns whether `obs` has been through `randomizeImages` already (its images are rank 6), or needs no randomizing. */
export function isRandomized(config: ImageRandomizers, obs: HostObs): boolean {
  if (!config.rgb.crop && !config.rgb.color) return true;
  return config.obsKeys.every((spec) => spec.modality !== 'rgb' || obs[spec.key]!.shape.length === 6);
}

/**
 * Returns `obs` with every image key that has draws replaced by its randomized rows
 * `[B, To, copies, h, w, C]`: folded row `b·To + t`'s copies (crops times colour samples, row-major
 * in the order the randomizers ran) are consecutive. Other keys are passed through.
 */
export function randomizeImages(config: ImageRandomizers, obs: HostObs, draws: RandomizerDraws): HostObs {
  const out: HostObs = { ...obs };
  for (const spec of config.obsKeys) {
    const offsets = draws.cropOffsets?.get(spec.key);
    const color = draws.color?.get(spec.key);
    if (spec.modality !== 'rgb' || (!offsets && !color)) continue;
    const [b, to, h, w, c] = obs[spec.key]!.shape as [number, number, number, number, number];
    let images: HostImages = { shape: [b * to, h, w, c], data: obs[spec.key]!.data };
    for (const kind of config.rgb.randomizerOrder) {
      if (kind === 'crop' && offsets) images = cropImages(images, offsets, config.rgb.crop!.height, config.rgb.crop!.width);
      else if (kind === 'color' && color) images = jitterImages(images, color);
    }
    const [rows, ch, cw] = images.shape;
    out[spec.key] = { shape: [b, to, rows / (b * to), ch, cw, c], data: images.data };
  }
  return out;
}

/**
 * Returns robomimic's `sample_random_image_crops` at the given offsets: per row one `h × w` window
 * per offset, rows ordered `row·N + crop`.
 * @param offsets per row, the top-left `[h, w]` of each crop
 */
export function cropImages(images: HostImages, offsets: [number, number][][], h: number, w: number): HostImages {
  const [n, H, W, c] = images.shape;
  invariant(offsets.length === n, 'crop offsets must be one list per image row');
  const perCrop = offsets[0]?.length ?? 0;
  const out = new Float32Array(n * perCrop * h * w * c);
  let at = 0;
  offsets.forEach((perRow, row) => {
    for (const [top, left] of perRow) {
      for (let y = 0; y < h; y++) {
        const from = ((row * H + top + y) * W + left) * c;
        out.set(images.data.subarray(from, from + w * c), at);
        at += w * c;
      }
    }
  });
  return { shape: [n * perCrop, h, w, c], data: out };
}
