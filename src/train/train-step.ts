/**
 * One iteration of robomimic's `run_epoch` for `DiffusionPolicyUNet`: draw the noise and timesteps
 * (and the train-mode randomizer draws, unless the batch's reader applied them), compute the loss
 * and its gradients (frozen parameters get none, as with `requires_grad=False`), stop on a
 * non-finite loss before anything is updated, then Adam/AdamW, the EMA step, and the per-batch
 * scheduler step — in that order, as robomimic does.
 * A batch too large for memory is differentiated in micro-batches whose gradients add up to the
 * batch's (micro-batches.ts); everything else still happens once per batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/read-batch.ts';
import type { SampleRef } from '../data/sequence-dataset.ts';
import { computeLoss, type LossDraws, type TrainBatch } from '../model/loss.ts';
import { registerModelGradients } from '../model/gradients.ts';
import { drawRandomizers, isRandomized, randomizeImages } from '../model/randomize-images.ts';
import type { Policy } from '../model/policy.ts';
import { adamStep, newAdamSlot, type AdamConfig, type AdamSlot } from './adam.ts';
import { emaConfig, emaStep, type EmaConfig } from './ema.ts';
import { lrFactor, stepsEveryBatch, type LrSchedule } from './lr-schedule.ts';
import type { ParamPolicy } from './param-groups.ts';
import type { Rng } from '../random/rng.ts';
import { invariant } from '../invariant.ts';
import { microBatches, sliceBatch, sliceLossDraws, type MicroBatch } from './micro-batches.ts';

/** Everything that changes from step to step, owned by the training loop. */
export interface TrainerState {
  policy: Policy;
  /** Per parameter id; null until the parameter's first update (torch creates state lazily too). */
  slots: (AdamSlot | null)[];
  /** Per parameter id. */
  paramPolicies: ParamPolicy[];
  optimizer: AdamConfig;
  baseLr: number;
  schedule: LrSchedule;
  /** The scheduler's `last_epoch`. */
  schedulerEpoch: number;
  ema: EmaConfig | null;
  emaOptimizationStep: number;
  /** Optimizer steps done. */
  step: number;
  rng: Rng;
}

/** What a fresh run's state takes from the training config. */
export interface TrainerSettings {
  optimizer: AdamConfig;
  learningRate: number;
  schedule: LrSchedule;
}

/** Returns the state of a run that has taken no step: no optimizer slots, no per-parameter hints, the policy's EMA. */
export function initialTrainerState(policy: Policy, settings: TrainerSettings, rng: Rng): TrainerState {
  return {
    policy,
    slots: policy.schema.params.map(() => null),
    paramPolicies: policy.schema.params.map(() => ({ lrFactor: 1, frozenUntil: 0 })),
    optimizer: settings.optimizer,
    baseLr: settings.learningRate,
    schedule: settings.schedule,
    schedulerEpoch: 0,
    ema: policy.config.ema.enabled ? emaConfig(policy.config.ema.power) : null,
    emaOptimizationStep: 0,
    step: 0,
    rng,
  };
}

export interface StepResult {
  loss: number;
  /** robomimic's `policy_grad_norms`: sum of squared gradient L2 norms. */
  gradNorms: number;
  /** The learning rate the step used (before any per-parameter factor). */
  lr: number;
}

/** Thrown when the loss or the gradients stop being finite; nothing was updated in that step. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly refs: SampleRef[],
  ) {
    super(`loss is ${loss} at step ${step}`);
  }
}

/** Returns the host batch as tensors the model takes (caller disposes). */
export function batchTensors(batch: Batch): TrainBatch {
  const obs = new Map(Object.entries(batch.obs).map(([key, o]) => [key, tf.tensor(o.data, o.shape, 'float32')]));
  return { obs, actions: tf.tensor3d(batch.actions.data, batch.actions.shape as [number, number, number], 'float32') };
}

/** Returns whether parameter `id` is frozen at the current step. */
function isFrozen(state: TrainerState, id: number): boolean {
  return state.step < state.paramPolicies[id]!.frozenUntil;
}

/**
 * Runs one training step on `batch`, updating `state` in place. `microBatch` caps how many
 * elements one forward and backward pass takes: the batch's gradient is accumulated over passes
 * of at most that many (default: the whole batch in one pass), with the same result up to the
 * order of float sums.
 */
export async function trainStep(state: TrainerState, batch: Batch, microBatch = batch.actions.shape[0]!): Promise<StepResult> {
  const { policy } = state;
  const { config } = policy;
  registerModelGradients();
  const B = batch.actions.shape[0]!;
  const [, Tp, ac] = batch.actions.shape as [number, number, number];
  const S = config.noiseSamples;
  // The same draw order every step (noise, timesteps, randomizers) keeps runs reproducible from the
  // seed; they are drawn for the whole batch, whatever the micro-batch, so it cannot change them.
  const noise = tf.tensor4d(state.rng.normal(S * B * Tp * ac), [S, B, Tp, ac]);
  const timesteps = Array.from({ length: B }, () => state.rng.int(config.scheduler.numTrainTimesteps));
  // A batch read by the training loop comes randomized (its reader applied draws made at request time).
  const randomized: Batch = isRandomized(config, batch.obs) ? batch : { ...batch, obs: randomizeImages(config, batch.obs, drawRandomizers(config, B * config.horizon.observation, state.rng.uniform)) };
  const live = policy.schema.params.filter((p) => p.trainable && !isFrozen(state, p.id));
  const vars = live.map((p) => policy.nets.tensors[p.id]!);
  let accumulated: Accumulated;
  try {
    accumulated = accumulateGrads(policy, randomized, { noise, timesteps }, vars, microBatches(B, microBatch));
  } finally {
    noise.dispose();
  }
  const { loss: value, grads: gradList } = accumulated;
  // One read back per step, for the loss and the gradient norms together: it is the step's only
  // synchronisation with the backend (on a GPU each read waits for the queued work).
  // Squared norms stacked, then summed: webgpu's AddN binds every input at once, and a few
  // hundred exceed its storage-buffer limit (8 per shader on lavapipe).
  const readBack = tf.tidy(() => tf.stack([value, gradList.length ? tf.sum(tf.stack(gradList.map((g) => tf.sum(tf.square(g))))) : tf.scalar(0)]));
  const [loss, gradNorms] = (await readBack.data()) as Float32Array;
  tf.dispose([value, readBack]);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorms)) {
    tf.dispose(gradList);
    throw new NonFiniteLossError(state.step + 1, Number.isFinite(loss) ? gradNorms : loss, batch.refs);
  }
  const lr = state.baseLr * lrFactor(state.schedule, state.schedulerEpoch);
  adamStep(
    state.optimizer,
    live.map((p, i) => ({ param: vars[i]!, grad: gradList[i]!, slot: (state.slots[p.id] ??= newAdamSlot(vars[i]!)), lr: lr * state.paramPolicies[p.id]!.lrFactor })),
  );
  tf.dispose(gradList);
  if (state.ema && policy.ema) {
    const pairs = policy.schema.params.map((p) => ({
      ema: policy.ema!.tensors[p.id]!,
      param: policy.nets.tensors[p.id]!,
      trainable: p.trainable && !isFrozen(state, p.id),
    }));
    emaStep(state.ema, pairs, state.emaOptimizationStep);
    state.emaOptimizationStep += 1;
  }
  state.step += 1;
  if (stepsEveryBatch(state.schedule)) state.schedulerEpoch += 1;
  return { loss, gradNorms, lr };
}

/** The batch's loss and its gradient per variable (caller disposes). */
interface Accumulated {
  loss: tf.Scalar;
  grads: tf.Tensor[];
}

/**
 * Returns the batch's mean loss and its gradients with respect to `vars`: per micro-batch the
 * loss times its share of the batch, differentiated, and summed over the micro-batches in order.
 * Only one micro-batch's inputs and activations exist at a time, beside the running sums.
 */
function accumulateGrads(policy: Policy, batch: Batch, draws: LossDraws, vars: tf.Variable[], parts: MicroBatch[]): Accumulated {
  let sum: Accumulated | null = null;
  try {
    for (const part of parts) {
      const inputs = batchTensors(sliceBatch(batch, part));
      const partDraws = sliceLossDraws(draws, part);
      try {
        // × share is × 1 for a single micro-batch: exact, so the whole-batch step is unchanged.
        const { value, grads } = tf.variableGrads(() => tf.mul(computeLoss(policy, inputs, partDraws), part.share) as tf.Scalar, vars);
        const next: Accumulated = { loss: value, grads: vars.map((v) => grads[v.name]!) };
        sum = sum ? addInto(sum, next) : next;
      } finally {
        tf.dispose([partDraws.noise, inputs.actions, ...inputs.obs.values()]);
      }
    }
  } catch (error) {
    if (sum) tf.dispose([sum.loss, ...sum.grads]);
    throw error;
  }
  invariant(sum, 'a batch has at least one micro-batch');
  return sum;
}

/** Returns `sum + next` term by term, disposing both as it goes (one parameter's extra copy at a time). */
function addInto(sum: Accumulated, next: Accumulated): Accumulated {
  const add = <T extends tf.Tensor>(a: T, b: T): T => {
    const total = tf.add(a, b) as T;
    tf.dispose([a, b]);
    return total;
  };
  return { loss: add(sum.loss, next.loss), grads: sum.grads.map((g, i) => add(g, next.grads[i]!)) };
}
