/**
 * Runs one paired submodule of source and output on the same probe inputs and measures how far
 * the outputs are apart: a VisualCore per image key (after each side's eval crop), the UNet on a
 * fixed noisy action. `combine` is not run on its own: its input is the encoders' output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { centreCrop, visualCoreForward } from '../model/encoder.ts';
import { globalCondDim } from '../model/schema.ts';
import { predictNoise } from '../model/unet.ts';
import type { ProbeBatch } from './probe-batch.ts';
import type { Side, Submodule, SubmodulePair } from './pair-submodules.ts';

export interface Measurement {
  /** Largest |source − output| over the submodule's output; null when it was not run. */
  maxAbsDiff: number | null;
  /** Why it was not run (empty when it was). */
  notRun: string;
}

/** Returns the max abs difference of the pair's outputs on `probe`, or why the pair cannot be run. */
export async function measurePair(pair: SubmodulePair, source: Side, output: Side, probe: ProbeBatch): Promise<Measurement> {
  if (!pair.source) return { maxAbsDiff: null, notRun: 'nothing in the source pairs with it' };
  if (pair.output.kind === 'combine') return { maxAbsDiff: null, notRun: 'its input is the encoders\' output, so it is not run alone' };
  const reason = pair.output.kind === 'encoder' ? encoderMismatch(pair, source, output) : unetMismatch(source, output);
  if (reason) return { maxAbsDiff: null, notRun: reason };
  const [a, b] = tf.tidy(() => (pair.output.kind === 'encoder' ? runEncoders(pair, source, output, probe) : [runUnet(source, probe), runUnet(output, probe)]));
  const diff = a.shape.join(',') === b.shape.join(',') ? tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))) : null;
  // Read back asynchronously: webgpu in Node cannot read synchronously.
  const maxAbsDiff = diff ? (await diff.data())[0]! : null;
  tf.dispose([a, b, ...(diff ? [diff] : [])]);
  return maxAbsDiff === null ? { maxAbsDiff, notRun: 'the two sides give outputs of different shapes (their crops differ)' } : { maxAbsDiff, notRun: '' };
}

function encoderMismatch(pair: SubmodulePair, source: Side, output: Side): string {
  const shape = (side: Side, name: string) => side.config.obsKeys.find((k) => k.key === name)!.shape.join('×');
  const [s, o] = [shape(source, pair.source!.name), shape(output, pair.output.name)];
  return s === o ? '' : `image shapes differ (${s} in the source, ${o} in the output)`;
}

function unetMismatch(source: Side, output: Side): string {
  const widths = (side: Side) => ({ 'action dimension': side.config.acDim, 'prediction horizon': side.config.horizon.prediction, 'global_cond width': globalCondDim(side.config) });
  const [s, o] = [widths(source), widths(output)];
  const differing = (Object.keys(s) as (keyof typeof s)[]).filter((k) => s[k] !== o[k]);
  return differing.map((k) => `${k} differs (${s[k]} vs ${o[k]})`).join(', ');
}

function runEncoders(pair: SubmodulePair, source: Side, output: Side, probe: ProbeBatch): [tf.Tensor, tf.Tensor] {
  const images = probe.images.get(pair.output.name)!;
  return [runEncoder(source, pair.source!, images), runEncoder(output, pair.output, images)];
}

/** A VisualCore as the policy runs it in eval: centre crop when the config crops, then the core. */
function runEncoder(side: Side, module: Submodule, images: tf.Tensor4D): tf.Tensor {
  const { rgb } = side.config;
  const x = rgb.crop ? centreCrop(images, rgb.crop.height, rgb.crop.width) : images;
  return visualCoreForward(rgb, (key) => side.weights.tensors[side.schema.byKey.get(module.prefix + key)!.id]!, x);
}

function runUnet(side: Side, probe: ProbeBatch): tf.Tensor {
  return predictNoise(side.config, side.schema, side.weights, probe.unet.sample, probe.unet.timesteps, probe.unet.globalCond);
}
