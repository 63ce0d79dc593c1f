/**
 * The inputs both sides of `verify` run on: per image key a batch of images (read from an
 * observation file, or synthesised deterministically from the output's `shape_metadata`), and a
 * fixed noisy action, timesteps and `global_cond` for the UNet.
 */
import * as tf from '@tensorflow/tfjs-core';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { InputError } from '../input-error.ts';
import type { PolicyConfig } from '../model/config.ts';
import { readTensorDict } from '../model/predict.ts';
import { globalCondDim } from '../model/schema.ts';
import { rngFromLabel } from '../random/rng.ts';

/** Rows of a synthesised probe: more than one, so a row mix-up shows, and few, so a probe takes well under a second on wasm. */
const PROBE_ROWS = 2;

export interface ProbeBatch {
  /** Per output image key: `[N, H, W, C]` floats in [0, 1], uncropped (each side applies its own eval crop). */
  images: Map<string, tf.Tensor4D>;
  /** The observation file the images came from; null when synthesised. */
  file: string | null;
  /** UNet inputs: `sample` `[B, Tp, ac]`, one timestep per row, `globalCond` `[B, G]`, all of the output's widths. */
  unet: { sample: tf.Tensor3D; timesteps: number[]; globalCond: tf.Tensor2D };
}

/** Returns a probe whose images are seeded uniform noise of the shapes `config` (from `shape_metadata`) gives. */
export function synthesiseProbe(config: PolicyConfig): ProbeBatch {
  const images = new Map<string, tf.Tensor4D>();
  for (const spec of config.obsKeys) {
    if (spec.modality !== 'rgb') continue;
    const [c, h, w] = spec.shape as [number, number, number];
    const rng = rngFromLabel(`verify-probe/${spec.key}`);
    images.set(spec.key, tf.tensor4d(Float32Array.from({ length: PROBE_ROWS * h * w * c }, () => rng.uniform()), [PROBE_ROWS, h, w, c]));
  }
  return { images, file: null, unet: unetProbe(config) };
}

/**
 * Returns a probe whose images are read from an observation file (a dict, or a dict under `obs`,
 * of raw uint8 `[B, To, H, W, C]` or `[B, H, W, C]`); each image key is looked up under its output
 * name, then under the source name it was renamed from.
 * @param sourceNames output image key → the source obs key paired with it
 */
export async function probeFromFile(config: PolicyConfig, path: string, sourceNames: Map<string, string>): Promise<ProbeBatch> {
  const raw = await readTensorDict(await openCheckpoint(path), 'obs');
  const images = new Map<string, tf.Tensor4D>();
  for (const spec of config.obsKeys) {
    if (spec.modality !== 'rgb') continue;
    const names = [spec.key, sourceNames.get(spec.key)].filter((n): n is string => n !== undefined);
    const name = names.find((n) => raw.has(n));
    if (!name) throw new InputError('obs/missing-key', path, `has no image "${names.join('" or "')}"; verify runs each encoder on it (found: ${[...raw.keys()].map((k) => `"${k}"`).join(', ') || 'nothing'}).`);
    const obs = raw.get(name)!;
    const [c, h, w] = spec.shape as [number, number, number];
    const lead = obs.shape.slice(0, -3);
    if (obs.shape.slice(-3).join(',') !== [h, w, c].join(',') || lead.length < 1 || lead.length > 2) {
      throw new InputError('obs/bad-shape', path, `"${name}" has shape [${obs.shape.join(', ')}], but the encoder needs [B, To, ${h}, ${w}, ${c}] or [B, ${h}, ${w}, ${c}] (uint8 HWC images, as HDF5 stores them).`, { member: name });
    }
    if (obs.dtype !== 'uint8') throw new InputError('obs/bad-dtype', path, `"${name}" is ${obs.dtype}; images must be raw uint8 (0..255) as HDF5 stores them.`, { member: name });
    const rows = lead.reduce((a, b) => a * b, 1);
    images.set(spec.key, tf.tidy(() => tf.clipByValue(tf.div(tf.tensor4d(obs.data, [rows, h, w, c]), 255), 0, 1) as tf.Tensor4D));
  }
  return { images, file: path, unet: unetProbe(config) };
}

/** Frees the probe's tensors. */
export function disposeProbe(probe: ProbeBatch): void {
  tf.dispose([...probe.images.values(), probe.unet.sample, probe.unet.globalCond]);
}

function unetProbe(config: PolicyConfig): ProbeBatch['unet'] {
  const rng = rngFromLabel('verify-probe/unet');
  const { prediction } = config.horizon;
  const g = globalCondDim(config);
  const steps = config.scheduler.numTrainTimesteps;
  return {
    sample: tf.tensor3d(rng.normal(PROBE_ROWS * prediction * config.acDim), [PROBE_ROWS, prediction, config.acDim]),
    // One early and one late step, so both ends of the step embedding are exercised.
    timesteps: [Math.floor(steps / 10), steps - 1],
    globalCond: tf.tensor2d(rng.normal(PROBE_ROWS * g), [PROBE_ROWS, g]),
  };
}
