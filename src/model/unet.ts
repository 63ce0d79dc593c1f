/**
 * robomimic's `ConditionalUnet1D` (diffusion-policy noise predictor): sinusoidal step embedding,
 * FiLM-conditioned residual blocks of Conv1d → GroupNorm → Mish, a down path, a mid block and an
 * up path with skip connections. Channels-last (`[B, T, C]`), which is also the action layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PolicyConfig } from './config.ts';
import type { PolicySchema } from './schema.ts';
import type { PolicyWeights } from './weights.ts';
import { conv1d, convTranspose1d, groupNorm, linear, mish } from './ops.ts';
import { weightOf, type Tap } from './encoder.ts';

/** `final_conv`'s Conv1dBlock is built without `n_groups`, so it always has robomimic's default. */
const FINAL_BLOCK_GROUPS = 8;

/**
 * Returns `SinusoidalPosEmb(dim)(t)` `[B, dim]` computed as torch does in float32:
 * `freq_i = exp(i · −ln(10000)/(dim/2 − 1))`, output `[sin(t·freq), cos(t·freq)]`.
 */
function sinusoidalEmbedding(timesteps: number[], dim: number): tf.Tensor2D {
  const half = dim / 2;
  const scale = Math.fround(-Math.log(10000) / (half - 1));
  const out = new Float32Array(timesteps.length * dim);
  timesteps.forEach((t, b) => {
    for (let i = 0; i < half; i++) {
      const freq = Math.fround(Math.exp(Math.fround(i * scale)));
      const arg = Math.fround(Math.fround(t) * freq);
      out[b * dim + i] = Math.sin(arg);
      out[b * dim + half + i] = Math.cos(arg);
    }
  });
  return tf.tensor2d(out, [timesteps.length, dim]);
}

/**
 * Returns the predicted noise `[B, Tp, ac]` (ε̂). Call inside `tf.tidy`.
 * @param sample `[B, Tp, ac]` noisy actions @param timesteps one diffusion step per row
 * @param globalCond `[B, G]`
 */
export function predictNoise(
  config: PolicyConfig,
  schema: PolicySchema,
  weights: PolicyWeights,
  sample: tf.Tensor3D,
  timesteps: number[],
  globalCond: tf.Tensor2D,
  tap?: Tap,
): tf.Tensor3D {
  const w = (key: string): tf.Tensor => weightOf(schema, weights, schema.prefix.unet + key);
  const { nGroups, kernelSize, downDims } = config.unet;
  const pos = sinusoidalEmbedding(timesteps, config.unet.stepEmbedDim);
  tap?.('diffusion_step_encoder.0(SinusoidalPosEmb)', pos);
  const stepEmb = linear(
    mish(linear(pos, w('diffusion_step_encoder.1.weight') as tf.Tensor2D, w('diffusion_step_encoder.1.bias'))) as tf.Tensor2D,
    w('diffusion_step_encoder.3.weight') as tf.Tensor2D,
    w('diffusion_step_encoder.3.bias'),
  );
  tap?.('diffusion_step_encoder', stepEmb);
  const cond = tf.concat([stepEmb, globalCond], 1);
  const condMish = mish(cond) as tf.Tensor2D;
  const block = (x: tf.Tensor3D, name: string, groups: number): tf.Tensor3D =>
    mish(groupNorm(conv1d(x, w(`${name}.0.weight`) as tf.Tensor4D, 1, Math.floor(kernelSize / 2), w(`${name}.0.bias`)), groups, w(`${name}.1.weight`), w(`${name}.1.bias`))) as tf.Tensor3D;
  const res = (x: tf.Tensor3D, name: string): tf.Tensor3D => {
    let h = block(x, `${name}.blocks.0.block`, nGroups);
    const out = h.shape[2];
    const film = linear(condMish, w(`${name}.cond_encoder.1.weight`) as tf.Tensor2D, w(`${name}.cond_encoder.1.bias`));
    const scale = tf.reshape(tf.slice(film, [0, 0], [-1, out]), [-1, 1, out]);
    const bias = tf.reshape(tf.slice(film, [0, out], [-1, out]), [-1, 1, out]);
    h = block(tf.add(tf.mul(scale, h), bias) as tf.Tensor3D, `${name}.blocks.1.block`, nGroups);
    const residual = schema.byKey.has(`${schema.prefix.unet}${name}.residual_conv.weight`)
      ? conv1d(x, w(`${name}.residual_conv.weight`) as tf.Tensor4D, 1, 0, w(`${name}.residual_conv.bias`))
      : x;
    return tf.add(h, residual);
  };
  let x = sample;
  const skips: tf.Tensor3D[] = [];
  for (let i = 0; i < downDims.length; i++) {
    x = res(x, `down_modules.${i}.0`);
    tap?.(`down_modules.${i}.0`, x);
    x = res(x, `down_modules.${i}.1`);
    tap?.(`down_modules.${i}.1`, x);
    skips.push(x);
    if (i < downDims.length - 1) x = conv1d(x, w(`down_modules.${i}.2.conv.weight`) as tf.Tensor4D, 2, 1, w(`down_modules.${i}.2.conv.bias`));
    tap?.(`down_modules.${i}.2`, x);
  }
  for (let i = 0; i < 2; i++) {
    x = res(x, `mid_modules.${i}`);
    tap?.(`mid_modules.${i}`, x);
  }
  for (let i = 0; i < downDims.length - 1; i++) {
    x = tf.concat([x, skips.pop()!], 2);
    x = res(x, `up_modules.${i}.0`);
    tap?.(`up_modules.${i}.0`, x);
    x = res(x, `up_modules.${i}.1`);
    tap?.(`up_modules.${i}.1`, x);
    x = convTranspose1d(x, w(`up_modules.${i}.2.conv.weight`) as tf.Tensor4D, 2, 1, w(`up_modules.${i}.2.conv.bias`));
    tap?.(`up_modules.${i}.2`, x);
  }
  x = block(x, 'final_conv.0.block', FINAL_BLOCK_GROUPS);
  tap?.('final_conv.0', x);
  x = conv1d(x, w('final_conv.1.weight') as tf.Tensor4D, 1, 0, w('final_conv.1.bias'));
  tap?.('final_conv.1', x);
  return x;
}
