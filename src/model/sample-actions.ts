/**
 * Inference: robomimic's `_get_action_trajectory` — encode the observation frames, then run the
 * scheduler's reverse diffusion from the given initial noise, and cut the executed actions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Policy } from './policy.ts';
import type { PolicyWeights } from './weights.ts';
import { encodeObs, type ObsBatch } from './encoder.ts';
import { predictNoise } from './unet.ts';
import { inferenceTimesteps, schedulerStep } from './scheduler.ts';

/** The random draws of one inference, so results are reproducible. */
export interface SamplingNoise {
  /** `[B, Tp, ac]`. */
  initialNoise: tf.Tensor3D;
  /** DDPM only: `[S−1, B, Tp, ac]`, one draw per step with t > 0. */
  perStepVarianceNoise?: tf.Tensor4D;
}

/** Per-step intermediates, each `[S, B, Tp, ac]` (for parity checks). */
export interface SamplingTrace {
  sampleIn: tf.Tensor[];
  noisePred: tf.Tensor[];
  predOriginalClipped: tf.Tensor[];
  prevSample: tf.Tensor[];
}

export interface SampledActions {
  /** The denoised normalised action sequence `[B, Tp, ac]`. */
  trajectory: tf.Tensor3D;
  /** The executed steps `trajectory[:, To−1 : To−1+Ta]`, `[B, Ta, ac]`. */
  actions: tf.Tensor3D;
}

/**
 * Returns the sampled trajectory and actions for an observation batch. Call inside `tf.tidy`.
 * @param weights normally `policy.ema` (what robomimic uses at inference when EMA is on).
 * @param trace when given, receives every step's tensors (kept by the caller's tidy).
 */
export function sampleActions(policy: Policy, weights: PolicyWeights, obs: ObsBatch, noise: SamplingNoise, trace?: SamplingTrace): SampledActions {
  const { config, schema, schedule } = policy;
  const features = encodeObs(config, schema, weights, obs);
  const cond = tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
  const b = features.shape[0];
  let x = noise.initialNoise;
  const timesteps = inferenceTimesteps(config.scheduler);
  timesteps.forEach((t, k) => {
    const eps = predictNoise(config, schema, weights, x, new Array<number>(b).fill(t), cond);
    const z = config.scheduler.kind === 'ddpm' && t > 0 ? (tf.squeeze(tf.slice(noise.perStepVarianceNoise!, [k, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D) : undefined;
    const step = schedulerStep(schedule, eps, t, x, z);
    if (trace) {
      trace.sampleIn.push(x);
      trace.noisePred.push(eps);
      trace.predOriginalClipped.push(step.predOriginalClipped);
      trace.prevSample.push(step.prevSample);
    }
    x = step.prevSample;
  });
  const start = config.horizon.observation - 1;
  return { trajectory: x, actions: tf.slice(x, [0, start, 0], [-1, config.horizon.action, -1]) };
}
