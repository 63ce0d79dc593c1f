/**
 * The training objective of robomimic's `DiffusionPolicyUNet.train_on_batch`: noise the actions
 * at one random timestep per sample (`noiseSamples` draws each, stacked draw-major), predict the
 * noise, and take the mean squared error; plus its gradients with respect to `model.nets`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Policy } from './policy.ts';
import { encodeObs, type EncodeOptions, type ObsBatch } from './encoder.ts';
import { predictNoise } from './unet.ts';
import { addNoise } from './scheduler.ts';
import { registerModelGradients } from './gradients.ts';

/** The random draws of one training step. */
export interface LossDraws {
  /** `[S, B, Tp, ac]` with S = `config.noiseSamples` (upstream: S = 1). */
  noise: tf.Tensor4D;
  /** One timestep in `[0, num_train_timesteps)` per sample, length B. */
  timesteps: number[];
}

export interface TrainBatch {
  obs: ObsBatch;
  /** Normalised actions `[B, Tp, ac]` in [−1, 1]. */
  actions: tf.Tensor3D;
}

/**
 * Returns the scalar loss `mean((ε̂ − ε)²)` with the training weights. Call inside `tf.tidy`
 * (or a gradient function).
 */
export function computeLoss(policy: Policy, batch: TrainBatch, draws: LossDraws, options: EncodeOptions = {}): tf.Scalar {
  const { config, schema, schedule, nets } = policy;
  const [s, b] = draws.noise.shape;
  const features = encodeObs(config, schema, nets, batch.obs, options);
  const cond = tf.reshape(features, [b, -1]) as tf.Tensor2D;
  const noiseRows = tf.reshape(draws.noise, [s * b, draws.noise.shape[2], draws.noise.shape[3]]) as tf.Tensor3D;
  // Row i·B + b: draw i of sample b (torch.cat over draws, then obs_cond.repeat / timesteps.repeat).
  const tiledT = Array.from({ length: s * b }, (_, r) => draws.timesteps[r % b]!);
  const tiledActions = tf.tile(batch.actions, [s, 1, 1]);
  const noisy = addNoise(schedule, tiledActions, noiseRows, tiledT);
  const pred = predictNoise(config, schema, nets, noisy, tiledT, tf.tile(cond, [s, 1]));
  return tf.mean(tf.squaredDifference(pred, noiseRows));
}

export interface LossAndGrads {
  loss: number;
  /** Gradient per parameter id (tfjs layout), null for buffers; caller disposes. */
  grads: (tf.Tensor | null)[];
  /** robomimic's `policy_grad_norms`: the sum over parameters of squared gradient L2 norms. */
  gradNormsSquaredSum: number;
}

/** Returns the loss and the gradients of every trainable `model.nets` parameter. */
export async function lossAndGrads(policy: Policy, batch: TrainBatch, draws: LossDraws, options: EncodeOptions = {}): Promise<LossAndGrads> {
  registerModelGradients();
  const trainable = policy.schema.params.filter((p) => p.trainable);
  const vars = trainable.map((p) => policy.nets.tensors[p.id]!);
  const { value, grads } = tf.variableGrads(() => computeLoss(policy, batch, draws, options), vars);
  const out: (tf.Tensor | null)[] = policy.schema.params.map(() => null);
  trainable.forEach((p, i) => (out[p.id] = grads[vars[i]!.name]!));
  // Each squared norm is summed on the host in float64, as robomimic sums Python floats.
  const squares = tf.tidy(() => tf.stack([value, ...trainable.map((p) => tf.sum(tf.square(out[p.id]!)))]));
  const [loss, ...norms] = await squares.data();
  tf.dispose([value, squares]);
  return { loss: loss!, grads: out, gradNormsSquaredSum: norms.reduce((a, b) => a + b, 0) };
}
