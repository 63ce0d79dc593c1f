/**
 * What training reports besides its own loss: robomimic's validation loss (the same objective on
 * `mask/valid` demos, training weights, randomizers in eval mode, no update) and how far actions
 * sampled from the EMA model (DDIM or DDPM, as configured) land from the demonstrated ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/read-batch.ts';
import { computeLoss } from '../model/loss.ts';
import { inferenceWeights, type Policy } from '../model/policy.ts';
import { sampleActions } from '../model/sample-actions.ts';
import { inferenceTimesteps } from '../model/scheduler.ts';
import type { Rng } from '../random/rng.ts';
import { batchTensors } from './train-step.ts';
import { microBatches, sliceBatch, sliceLossDraws } from './micro-batches.ts';

/**
 * Returns the loss of `batch` without updating anything (robomimic `train_on_batch(validate=True)`),
 * evaluated in passes of at most `microBatch` elements (default: one) whose share-weighted losses
 * add up to the batch's mean.
 */
export async function validationLoss(policy: Policy, batch: Batch, rng: Rng, microBatch = batch.actions.shape[0]!): Promise<number> {
  const { config } = policy;
  const [B, Tp, ac] = batch.actions.shape as [number, number, number];
  const S = config.noiseSamples;
  const noise = tf.tensor4d(rng.normal(S * B * Tp * ac), [S, B, Tp, ac]);
  const timesteps = Array.from({ length: B }, () => rng.int(config.scheduler.numTrainTimesteps));
  let sum: tf.Scalar = tf.scalar(0);
  try {
    for (const part of microBatches(B, microBatch)) {
      const next = tf.tidy(() => tf.add(sum, tf.mul(computeLoss(policy, batchTensors(sliceBatch(batch, part)), sliceLossDraws({ noise, timesteps }, part)), part.share)) as tf.Scalar);
      sum.dispose();
      sum = next;
    }
    const [value] = await sum.data();
    return value!;
  } finally {
    tf.dispose([noise, sum]);
  }
}

/** Mean squared error of sampled actions against the batch's actions. */
export interface ActionError {
  /** Over the whole predicted trajectory `[B, Tp, ac]`. */
  trajectoryMse: number;
  /** Over the Ta executed steps `[To−1, To−1+Ta)`. */
  executedMse: number;
}

/** Returns how far EMA-sampled actions are from the demonstrations in `batch` (normalised space). */
export async function sampledActionError(policy: Policy, batch: Batch, rng: Rng): Promise<ActionError> {
  const { config } = policy;
  const [B, Tp, ac] = batch.actions.shape as [number, number, number];
  const inputs = batchTensors(batch);
  const initialNoise = tf.tensor3d(rng.normal(B * Tp * ac), [B, Tp, ac]);
  const steps = inferenceTimesteps(config.scheduler).length;
  const perStepVarianceNoise = config.scheduler.kind === 'ddpm' ? tf.tensor4d(rng.normal((steps - 1) * B * Tp * ac), [steps - 1, B, Tp, ac]) : undefined;
  const sampled = await sampleActions(policy, inferenceWeights(policy), inputs.obs, { initialNoise, perStepVarianceNoise });
  const errors = tf.tidy(() => {
    const start = config.horizon.observation - 1;
    const executed = (t: tf.Tensor3D) => tf.slice(t, [0, start, 0], [-1, config.horizon.action, -1]);
    return tf.stack([tf.mean(tf.squaredDifference(sampled.trajectory, inputs.actions)), tf.mean(tf.squaredDifference(executed(sampled.trajectory), executed(inputs.actions)))]);
  });
  const [trajectoryMse, executedMse] = await errors.data();
  tf.dispose([errors, sampled.trajectory, sampled.actions, initialNoise, ...(perStepVarianceNoise ? [perStepVarianceNoise] : []), inputs.actions, ...inputs.obs.values()]);
  return { trajectoryMse: trajectoryMse!, executedMse: executedMse! };
}
