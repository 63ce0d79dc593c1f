/**
 * The EMA of the weights exactly as diffusers 0.11.1 `EMAModel.step` computes it (the class both
 * robomimic versions use): the decay warms up with the optimisation step count, trainable
 * parameters are averaged, frozen ones (`requires_grad=False`) and buffers are copied.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface EmaConfig {
  power: number;
  invGamma: number;
  minValue: number;
  maxValue: number;
  updateAfterStep: number;
}

/** diffusers' defaults with robomimic's `power` (robomimic passes only `power`). */
export function emaConfig(power: number): EmaConfig {
  return { power, invGamma: 1, minValue: 0, maxValue: 0.9999, updateAfterStep: 0 };
}

/** Returns the decay `EMAModel.get_decay(optimizationStep)` returns (0 for the first step). */
export function emaDecay(config: EmaConfig, optimizationStep: number): number {
  const step = Math.max(0, optimizationStep - config.updateAfterStep - 1);
  if (step <= 0) return 0;
  const value = 1 - (1 + step / config.invGamma) ** -config.power;
  return Math.max(config.minValue, Math.min(value, config.maxValue));
}

/** One EMA target: the averaged copy, the live weight, and whether the live weight is trained. */
export interface EmaPair {
  ema: tf.Variable;
  param: tf.Tensor;
  /** False for frozen parameters and buffers: diffusers copies those instead of averaging. */
  trainable: boolean;
}

/**
 * Applies one `EMAModel.step` with the decay for `optimizationStep` (the count *before* this
 * step) and returns that decay; the caller then increments its count.
 */
export function emaStep(config: EmaConfig, pairs: EmaPair[], optimizationStep: number): number {
  const decay = emaDecay(config, optimizationStep);
  tf.tidy(() => {
    const keep = tf.scalar(decay);
    const take = tf.scalar(1 - decay);
    for (const { ema, param, trainable } of pairs) {
      // torch: ema.mul_(decay).add_(param, alpha=1 - decay). The inner tidy frees each parameter's
      // temporaries before the next, so the peak stays one parameter's worth.
      if (trainable) tf.tidy(() => ema.assign(tf.add(tf.mul(ema, keep), tf.mul(param, take))));
      else ema.assign(param);
    }
  });
  return decay;
}
