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
 * Returns the sampled trajectory and actions for an observation batch (the caller disposes them;
 * everything else is freed here).
 * @param weights normally `policy.ema` (what robomimic uses at inference when EMA is on).
 * @param trace when given, receives every step's tensors (the caller disposes them too).
 */
export async function sampleActions(policy: Policy, weights: PolicyWeights, obs: ObsBatch, noise: SamplingNoise, trace?: SamplingTrace): Promise<SampledActions> {
  const { config, schema, schedule } = policy;
  const cond = tf.tidy(() => {
    const features = encodeObs(config, schema, weights, obs);
    return tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
  });
  const b = cond.shape[0];
  let x = noise.initialNoise;
  for (const [k, t] of inferenceTimesteps(config.scheduler).entries()) {
    // One tidy per step, so each UNet pass's activations are freed before the next: 100 DDPM
    // passes would otherwise all be alive at once.
    const step = tf.tidy(() => {
      const eps = predictNoise(config, schema, weights, x, new Array<number>(b).fill(t), cond);
      const z = config.scheduler.kind === 'ddpm' && t > 0 ? (tf.squeeze(tf.slice(noise.perStepVarianceNoise!, [k, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D) : undefined;
      const { prevSample, predOriginalClipped } = schedulerStep(schedule, eps, t, x, z);
      return trace ? { prevSample, eps, predOriginalClipped } : { prevSample };
    });
    if (trace) {
      trace.sampleIn.push(x);
      trace.noisePred.push(step.eps!);
      trace.predOriginalClipped.push(step.predOriginalClipped!);
      trace.prevSample.push(step.prevSample);
    } else if (x !== noise.initialNoise) {
      x.dispose();
    }
    x = step.prevSample;
    // Waiting for each step lets Dawn free what the step's kernels used: it releases GPU memory
    // only once it sees the work done, and a CPU driver (lavapipe) maps every allocation, so 100
    // unawaited DDPM steps run out of the process's memory maps (65530) and crash.
    await x.data();
  }
  cond.dispose();
  const start = config.horizon.observation - 1;
  return { trajectory: x, actions: tf.slice(x, [0, start, 0], [-1, config.horizon.action, -1]) };
}
