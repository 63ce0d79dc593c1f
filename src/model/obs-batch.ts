/**
 * Turns raw observations — images uint8 `[B, To, H, W, C]` as HDF5 stores them, low-dim floats
 * `[B, To, D]` — into the encoder's input, doing what robomimic's batch processing does: images
 * to float, ÷255, clipped to [0, 1] (channels stay last here), low-dim cast to float32 and
 * not normalised. Every key's shape is checked against the policy config.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../input-error.ts';
import type { PolicyConfig } from './config.ts';
import type { ObsBatch } from './encoder.ts';

/** One raw observation array. */
export interface RawObs {
  shape: number[];
  /** Element values in row-major order (uint8 images as 0..255). */
  data: Float32Array;
  dtype: string;
}

/**
 * Returns the encoder input for raw observations. Throws `InputError` (code `obs/...`) naming the
 * key and the expected shape when a key is missing or mis-shaped.
 * @param file the observation file's path, for errors.
 */
export function obsBatchFromRaw(config: PolicyConfig, raw: Map<string, RawObs>, file: string): ObsBatch {
  const batch: ObsBatch = new Map();
  let batchSize: number | undefined;
  const to = config.horizon.observation;
  for (const spec of config.obsKeys) {
    const obs = raw.get(spec.key);
    if (!obs) {
      throw new InputError('obs/missing-key', file, `has no "${spec.key}"; the policy needs ${[...raw.keys()].length ? `it (found: ${[...raw.keys()].map((k) => `"${k}"`).join(', ')})` : 'it'}.`, { member: spec.key });
    }
    const want = spec.modality === 'rgb' ? [to, spec.shape[1]!, spec.shape[2]!, spec.shape[0]!] : [to, ...spec.shape];
    const got = obs.shape.slice(1);
    batchSize ??= obs.shape[0];
    if (obs.shape.length !== want.length + 1 || got.join(',') !== want.join(',') || obs.shape[0] !== batchSize) {
      throw new InputError(
        'obs/bad-shape',
        file,
        `"${spec.key}" has shape [${obs.shape.join(', ')}], but the policy needs [B, ${want.join(', ')}]${spec.modality === 'rgb' ? ' (uint8 HWC images, as HDF5 stores them)' : ''} with the same B for every key.`,
        { member: spec.key },
      );
    }
    if (spec.modality === 'rgb' && obs.dtype !== 'uint8') {
      throw new InputError('obs/bad-dtype', file, `"${spec.key}" is ${obs.dtype}; images must be raw uint8 (0..255) as HDF5 stores them.`, { member: spec.key });
    }
    const t = tf.tensor(obs.data, obs.shape, 'float32');
    batch.set(spec.key, spec.modality === 'rgb' ? tf.tidy(() => tf.clipByValue(tf.div(t, 255), 0, 1)) : t);
    if (spec.modality === 'rgb') t.dispose();
  }
  return batch;
}
