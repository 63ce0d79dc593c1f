/**
 * diffusers 0.11.1's DDPM and DDIM schedulers as robomimic configures them (epsilon prediction,
 * sample clipping, DDPM `fixed_small` variance, DDIM η = 0), with scalar coefficients rounded to
 * float32 at each step exactly where torch's 0-dim float32 tensors round them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SchedulerSpec } from './config.ts';

const f = Math.fround;

/** The schedule tables, as float32 values (diffusers stores them as float32 tensors). */
export interface NoiseSchedule {
  spec: SchedulerSpec;
  betas: Float32Array;
  alphas: Float32Array;
  alphasCumprod: Float32Array;
}

/** Returns the schedule tables: betas (computed in float64, stored float32), α = 1 − β (float32), ᾱ = cumprod(α). */
export function noiseSchedule(spec: SchedulerSpec): NoiseSchedule {
  const n = spec.numTrainTimesteps;
  const betas = new Float32Array(n);
  if (spec.betaSchedule === 'squaredcos_cap_v2') {
    const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
    for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  } else {
    // torch.linspace(beta_start, beta_end, n, dtype=float32)
    const step = (spec.betaEnd - spec.betaStart) / (n - 1);
    for (let i = 0; i < n; i++) betas[i] = spec.betaStart + i * step;
  }
  const alphas = betas.map((b) => f(1 - b));
  const alphasCumprod = new Float32Array(n);
  // torch.cumprod on CPU accumulates float32 in double (acc_type) and rounds each output.
  let acc = 1;
  for (let i = 0; i < n; i++) alphasCumprod[i] = f((acc *= alphas[i]!));
  return { spec, betas, alphas, alphasCumprod };
}

/** Returns the inference timesteps (`set_timesteps`): descending, `num_train/num_inference` apart. */
export function inferenceTimesteps(spec: SchedulerSpec): number[] {
  const ratio = Math.floor(spec.numTrainTimesteps / spec.numInferenceTimesteps);
  const offset = spec.kind === 'ddim' ? spec.stepsOffset : 0;
  return Array.from({ length: spec.numInferenceTimesteps }, (_, i) => (spec.numInferenceTimesteps - 1 - i) * ratio + offset);
}

/** Returns the `fixed_small` DDPM variance at `t` (clamped at 1e-20), as float32. */
export function ddpmVariance(s: NoiseSchedule, t: number): number {
  const prevT = t - Math.floor(s.spec.numTrainTimesteps / s.spec.numInferenceTimesteps);
  const prev = prevT >= 0 ? s.alphasCumprod[prevT]! : 1;
  const v = f(f(f(1 - prev) / f(1 - s.alphasCumprod[t]!)) * s.betas[t]!);
  return Math.max(v, f(1e-20));
}

/** One reverse step's intermediate values. */
export interface StepResult {
  predOriginalClipped: tf.Tensor3D;
  prevSample: tf.Tensor3D;
}

/**
 * Returns one reverse-diffusion step from `sample` at timestep `t` given the predicted noise.
 * @param varianceNoise DDPM only, `[B, Tp, ac]` standard normal draws (unused at t = 0).
 */
export function schedulerStep(s: NoiseSchedule, modelOutput: tf.Tensor3D, t: number, sample: tf.Tensor3D, varianceNoise?: tf.Tensor3D): StepResult {
  const { spec } = s;
  const prevT = t - Math.floor(spec.numTrainTimesteps / spec.numInferenceTimesteps);
  const alphaProd = s.alphasCumprod[t]!;
  const finalAlpha = spec.kind === 'ddim' && !spec.setAlphaToOne ? s.alphasCumprod[0]! : 1;
  const alphaProdPrev = prevT >= 0 ? s.alphasCumprod[prevT]! : finalAlpha;
  const betaProd = f(1 - alphaProd);
  let x0 = tf.div(tf.sub(sample, tf.mul(modelOutput, f(Math.sqrt(betaProd)))), f(Math.sqrt(alphaProd)));
  if (spec.clipSample) x0 = tf.clipByValue(x0, -1, 1);
  if (spec.kind === 'ddim') {
    const direction = tf.mul(modelOutput, f(Math.sqrt(f(1 - alphaProdPrev))));
    const prev = tf.add(tf.mul(x0, f(Math.sqrt(alphaProdPrev))), direction);
    return { predOriginalClipped: x0 as tf.Tensor3D, prevSample: prev as tf.Tensor3D };
  }
  const betaProdPrev = f(1 - alphaProdPrev);
  const x0Coeff = f(f(f(Math.sqrt(alphaProdPrev)) * s.betas[t]!) / betaProd);
  const sampleCoeff = f(f(f(Math.sqrt(s.alphas[t]!)) * betaProdPrev) / betaProd);
  let prev = tf.add(tf.mul(x0, x0Coeff), tf.mul(sample, sampleCoeff));
  if (t > 0) {
    if (!varianceNoise) throw new Error(`DDPM step at t=${t} needs variance noise.`);
    prev = tf.add(prev, tf.mul(varianceNoise, f(Math.sqrt(ddpmVariance(s, t)))));
  }
  return { predOriginalClipped: x0 as tf.Tensor3D, prevSample: prev as tf.Tensor3D };
}

/**
 * Returns `add_noise(a, ε, t)` = √ᾱ_t·a + √(1−ᾱ_t)·ε with one timestep per row.
 * @param actions `[N, Tp, ac]` @param noise `[N, Tp, ac]`
 */
export function addNoise(s: NoiseSchedule, actions: tf.Tensor3D, noise: tf.Tensor3D, timesteps: number[]): tf.Tensor3D {
  const sqrtA = tf.tensor3d(timesteps.map((t) => f(Math.sqrt(s.alphasCumprod[t]!))), [timesteps.length, 1, 1]);
  const sqrtOneMinus = tf.tensor3d(timesteps.map((t) => f(Math.sqrt(f(1 - s.alphasCumprod[t]!)))), [timesteps.length, 1, 1]);
  return tf.add(tf.mul(sqrtA, actions), tf.mul(sqrtOneMinus, noise));
}
