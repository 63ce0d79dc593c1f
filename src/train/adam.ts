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

/** One parameter's update: the live weight, its gradient, its optimizer state and learning rate. */
export interface AdamUpdate {
  param: tf.Variable;
  grad: tf.Tensor;
  slot: AdamSlot;
  lr: number;
}

/**
 * Updates every parameter and its slot in place with one step of `config` (returns nothing).
 * Scalars round to float32 and products associate as torch's CPU kernels write them
 * (`addcmul`: (value·g)·g; `addcdiv`: (value·m)/denom), so results agree to float32 rounding.
 * The scalar operands are uploaded once per call and shared by all parameters (each upload is a
 * backend round trip, several per parameter otherwise); each parameter's temporaries are freed
 * before the next one's are made, so the peak stays one parameter's worth.
 */
export function adamStep(config: AdamConfig, updates: AdamUpdate[]): void {
  const [beta1, beta2] = config.betas;
  const scalars = new Map<number, tf.Scalar>();
  // Kept out of the per-parameter tidies (they are made inside one and used by all), disposed below.
  const scalar = (value: number): tf.Scalar => {
    let s = scalars.get(value);
    if (!s) scalars.set(value, (s = tf.keep(tf.scalar(value))));
    return s;
  };
  try {
    for (const { param, grad, slot, lr } of updates) {
      slot.step += 1;
      const step = slot.step;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      const stepSize = lr / biasCorrection1;
      tf.tidy(() => {
        let g = grad;
        if (config.kind === 'adamw') {
          param.assign(tf.mul(param, scalar(1 - lr * config.weightDecay)));
        } else if (config.weightDecay !== 0) {
          g = tf.add(g, tf.mul(param, scalar(config.weightDecay)));
        }
        const m = tf.add(tf.mul(slot.expAvg, scalar(beta1)), tf.mul(g, scalar(1 - beta1)));
        const v = tf.add(tf.mul(slot.expAvgSq, scalar(beta2)), tf.mul(tf.mul(g, scalar(1 - beta2)), g));
        slot.expAvg.assign(m);
        slot.expAvgSq.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), scalar(biasCorrection2Sqrt)), scalar(config.eps));
        param.assign(tf.add(param, tf.div(tf.mul(m, scalar(-stepSize)), denom)));
      });
    }
  } finally {
    tf.dispose([...scalars.values()]);
  }
}
