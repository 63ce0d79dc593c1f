/**
 * Adam and AdamW exactly as torch 1.13's single-tensor implementations (`_single_tensor_adam`,
 * `_single_tensor_adamw`), one parameter at a time, with torch's per-parameter `step` counter: a
 * parameter without a gradient (frozen) is skipped and its state left alone.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamConfig {
  kind: 'adam' | 'adamw';
  betas: [number, number];
  eps: number;
  /** `regularization.L2`: added to the gradient (Adam) or decoupled (AdamW). */
  weightDecay: number;
}

/** torch's per-parameter optimizer state: `step`, `exp_avg`, `exp_avg_sq`. */
export interface AdamSlot {
  step: number;
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

/** Returns a fresh slot (zero moments, step 0) shaped like `param`. */
export function newAdamSlot(param: tf.Tensor): AdamSlot {
  return { step: 0, expAvg: zerosVariable(param), expAvgSq: zerosVariable(param) };
}

function zerosVariable(like: tf.Tensor): tf.Variable {
  // A variable shares its initial tensor's data; dispose the initial handle so it is not counted twice.
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

/**
 * Updates `param` in place with one step of `config` at learning rate `lr`, and `slot` with it.
 * Scalars round to float32 and products associate as torch's CPU kernels write them
 * (`addcmul`: (value·g)·g; `addcdiv`: (value·m)/denom), so results agree to float32 rounding.
 */
export function adamStep(config: AdamConfig, param: tf.Variable, grad: tf.Tensor, slot: AdamSlot, lr: number): void {
  const [beta1, beta2] = config.betas;
  slot.step += 1;
  const step = slot.step;
  tf.tidy(() => {
    let g = grad;
    if (config.kind === 'adamw') {
      param.assign(tf.mul(param, tf.scalar(1 - lr * config.weightDecay)));
    } else if (config.weightDecay !== 0) {
      g = tf.add(g, tf.mul(param, tf.scalar(config.weightDecay)));
    }
    const m = tf.add(tf.mul(slot.expAvg, tf.scalar(beta1)), tf.mul(g, tf.scalar(1 - beta1)));
    const v = tf.add(tf.mul(slot.expAvgSq, tf.scalar(beta2)), tf.mul(tf.mul(g, tf.scalar(1 - beta2)), g));
    slot.expAvg.assign(m);
    slot.expAvgSq.assign(v);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = lr / biasCorrection1;
    const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(biasCorrection2Sqrt)), tf.scalar(config.eps));
    param.assign(tf.add(param, tf.div(tf.mul(m, tf.scalar(-stepSize)), denom)));
  });
}
