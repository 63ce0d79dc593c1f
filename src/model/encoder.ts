/**
 * The observation encoder: robomimic's `ObservationGroupEncoder` → `ObservationEncoder` → one
 * `VisualCore` per image key (ResNet trunk with GroupNorm, optional SpatialSoftmax, flatten,
 * Linear) then ReLU; low-dim keys pass through raw; the fork's `combine` MLP closes it.
 *
 * Images are channels-last here (`[N, H, W, C]`); the flatten transposes to PyTorch's C-major
 * order first so the Linear weights mean the same thing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PolicyConfig, RgbEncoderSpec } from './config.ts';
import type { PolicySchema } from './schema.ts';
import type { PolicyWeights } from './weights.ts';
import { conv2d, groupNorm, imageConv2d, linear, maxPoolStem, sliceWindow } from './ops.ts';
import { invariant } from '../invariant.ts';

/**
 * Observation batch: images float `[B, To, H, W, C]` in [0, 1], low-dim float `[B, To, D]`. In
 * training, an image key may instead hold its rows after the train-mode randomizers,
 * `[B, To, copies, h, w, C]` (randomize-images.ts); images without them take the eval crop.
 */
export type ObsBatch = Map<string, tf.Tensor>;

/** Receives intermediate activations (for parity checks); it must `tf.keep` what it stores. */
export type Tap = (name: string, value: tf.Tensor) => void;

export interface EncodeOptions {
  tap?: Tap;
  /** Standard normal draws for SpatialSoftmax train-mode keypoint noise (only used when noise_std ≠ 0). */
  keypointNoise?: () => tf.Tensor;
}

/** Looks up a weight by any of its state-dict keys. */
export function weightOf(schema: PolicySchema, weights: PolicyWeights, key: string): tf.Tensor {
  const param = schema.byKey.get(key);
  invariant(param, `no parameter ${key}`);
  return weights.tensors[param.id]!;
}

/**
 * Returns the per-frame observation features `[B, To, F]` (`obs_features`; `global_cond` is its
 * time-major flatten). Call inside `tf.tidy`.
 */
export function encodeObs(config: PolicyConfig, schema: PolicySchema, weights: PolicyWeights, obs: ObsBatch, options: EncodeOptions = {}): tf.Tensor3D {
  const first = obs.get(config.obsKeys[0]!.key);
  invariant(first, 'observation batch checked before encoding');
  const [b, to] = first.shape as [number, number];
  const w = (key: string): tf.Tensor => weightOf(schema, weights, key);
  const parts: tf.Tensor2D[] = [];
  for (const spec of config.obsKeys) {
    const x = obs.get(spec.key)!;
    if (spec.modality === 'low_dim') {
      parts.push(tf.cast(tf.reshape(x, [b * to, -1]), 'float32') as tf.Tensor2D);
      continue;
    }
    const coreKey = spec.sharesCoreOf ?? spec.key;
    const tap = options.tap ? (name: string, t: tf.Tensor) => options.tap!(`${spec.key}/${name}`, t) : undefined;
    const rows = imageRows(config.rgb, x);
    const core = visualCoreForward(config.rgb, (k) => w(`${schema.prefix.obsNets}${coreKey}.${k}`), rows.images, tap, options.keypointNoise);
    const activated = tf.relu(core);
    tap?.('after_feature_activation(ReLU)', activated);
    // Randomizer forward_out: average over the crops / colour samples of each row.
    parts.push(rows.copies > 1 ? tf.mean(tf.reshape(activated, [b * to, rows.copies, -1]), 1) : activated);
  }
  const concat = tf.concat(parts, 1);
  options.tap?.('obs_encoder_concat', concat);
  let out: tf.Tensor2D = concat;
  if (config.combine) {
    const c = schema.prefix.combine;
    const h0 = linear(out, w(`${c}0.weight`) as tf.Tensor2D, w(`${c}0.bias`));
    options.tap?.('combine.0', h0);
    const h1 = tf.relu(h0);
    options.tap?.('combine.1', h1);
    const h2 = linear(h1, w(`${c}2.weight`) as tf.Tensor2D, w(`${c}2.bias`));
    options.tap?.('combine.2', h2);
    const h3 = tf.relu(h2);
    options.tap?.('combine.3', h3);
    out = linear(h3, w(`${c}4.weight`) as tf.Tensor2D, w(`${c}4.bias`));
    options.tap?.('combine.4', out);
  }
  return tf.reshape(out, [b, to, out.shape[1]]);
}

/**
 * Returns the VisualCore input rows of one image key and how many copies each folded row (b·To + t)
 * has: the randomized rows as given (`[B, To, copies, h, w, C]`), else the frames folded and, with
 * a crop randomizer, centre-cropped (its eval behaviour; colour jitter's is the identity).
 */
function imageRows(rgb: RgbEncoderSpec, x: tf.Tensor): { images: tf.Tensor4D; copies: number } {
  const [b, to] = x.shape as [number, number];
  if (x.rank === 6) {
    const [, , copies, h, w, c] = x.shape as number[] as [number, number, number, number, number, number];
    return { images: tf.reshape(x, [b * to * copies, h, w, c]), copies };
  }
  const [, , h, w, c] = x.shape as [number, number, number, number, number];
  const folded = tf.reshape(x, [b * to, h, w, c]) as tf.Tensor4D;
  return { images: rgb.crop ? centreCrop(folded, rgb.crop.height, rgb.crop.width) : folded, copies: 1 };
}

/** Returns the eval crop: offset `int((H − h)/2)` on both axes (robomimic `ObsUtils.center_crop`). */
export function centreCrop(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  return sliceWindow(x, [0, Math.trunc((H - h) / 2), Math.trunc((W - w) / 2)], [-1, h, w]);
}

/**
 * Returns a VisualCore's output `[N, F]` (before the encoder's ReLU).
 * @param x `[N, H, W, C]` @param w weight lookup by key relative to the core (`backbone.nets.0.weight`)
 */
export function visualCoreForward(rgb: RgbEncoderSpec, w: (key: string) => tf.Tensor, x: tf.Tensor4D, tap?: Tap, keypointNoise?: () => tf.Tensor): tf.Tensor2D {
  const h = resnetTrunk(rgb, (k) => w(`backbone.nets.${k}`), x, tap);
  tap?.('nets.0', h);
  let flat: tf.Tensor2D;
  // VisualCore.nets: backbone, [pool], flatten, [linear].
  const flattenIndex = rgb.pool ? 2 : 1;
  if (rgb.pool) {
    const kp = spatialSoftmax(rgb, w, h, keypointNoise);
    tap?.('nets.1', kp);
    flat = tf.reshape(kp, [kp.shape[0], -1]);
  } else {
    // torch.nn.Flatten on NCHW: C-major.
    flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1]);
  }
  tap?.(`nets.${flattenIndex}`, flat);
  if (rgb.featureDim === null) return flat;
  const linearIndex = flattenIndex + 1;
  const out = linear(flat, w(`nets.${linearIndex}.weight`) as tf.Tensor2D, w(`nets.${linearIndex}.bias`));
  tap?.(`nets.${linearIndex}`, out);
  return out;
}

/** SpatialSoftmax: 1×1 conv to K maps, softmax over pixels / temperature, expected (x, y) → `[N, K, 2]`. */
function spatialSoftmax(rgb: RgbEncoderSpec, w: (key: string) => tf.Tensor, x: tf.Tensor4D, keypointNoise?: () => tf.Tensor): tf.Tensor3D {
  const maps = conv2d(x, w('pool.nets.weight') as tf.Tensor4D, 1, 0, w('pool.nets.bias'));
  const [n, hh, ww, k] = maps.shape;
  const flat = tf.reshape(tf.transpose(maps, [0, 3, 1, 2]), [n * k, hh * ww]);
  const attention = tf.softmax(tf.div(flat, w('pool.temperature')));
  const ex = tf.sum(tf.mul(w('pool.pos_x'), attention), 1, true);
  const ey = tf.sum(tf.mul(w('pool.pos_y'), attention), 1, true);
  let kp = tf.reshape(tf.concat([ex, ey], 1), [n, k, 2]) as tf.Tensor3D;
  if (keypointNoise && rgb.pool!.noiseStd !== 0) kp = tf.add(kp, tf.mul(keypointNoise(), rgb.pool!.noiseStd));
  return kp;
}

/** torchvision ResNet trunk (conv1, GN, ReLU, maxpool, layer1..4) with GroupNorm(C//16, C). */
function resnetTrunk(rgb: RgbEncoderSpec, w: (key: string) => tf.Tensor, x: tf.Tensor4D, tap?: Tap): tf.Tensor4D {
  let h = imageConv2d(x, w('0.weight') as tf.Tensor4D, 2, 3);
  tap?.('backbone.nets.0', h);
  h = gn(h, w, '1');
  tap?.('backbone.nets.1', h);
  h = tf.relu(h);
  h = maxPoolStem(h);
  tap?.('backbone.nets.3', h);
  const bottleneck = rgb.backbone === 'ResNet50Conv';
  const blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  for (let stage = 0; stage < 4; stage++) {
    for (let b = 0; b < blocks[stage]!; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `${4 + stage}.${b}`;
      const blockTap = tap ? (part: string, t: tf.Tensor) => tap(`backbone.nets.${name}.${part}`, t) : undefined;
      h = bottleneck ? bottleneckBlock(w, name, h, stride, blockTap) : basicBlock(w, name, h, stride);
    }
    tap?.(`backbone.nets.${4 + stage}`, h);
  }
  return h;
}

function gn(x: tf.Tensor4D, w: (key: string) => tf.Tensor, name: string): tf.Tensor4D {
  const c = x.shape[3];
  return groupNorm(x, Math.floor(c / 16), w(`${name}.weight`), w(`${name}.bias`)) as tf.Tensor4D;
}

function shortcut(w: (key: string) => tf.Tensor, name: string, x: tf.Tensor4D, stride: number, hasDownsample: boolean): tf.Tensor4D {
  if (!hasDownsample) return x;
  return gn(conv2d(x, w(`${name}.downsample.0.weight`) as tf.Tensor4D, stride, 0), w, `${name}.downsample.1`);
}

function basicBlock(w: (key: string) => tf.Tensor, name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const w1 = w(`${name}.conv1.weight`) as tf.Tensor4D;
  const w2 = w(`${name}.conv2.weight`) as tf.Tensor4D;
  let h = tf.relu(gn(conv2d(x, w1, stride, 1), w, `${name}.bn1`));
  h = gn(conv2d(h, w2, 1, 1), w, `${name}.bn2`);
  const hasDownsample = stride !== 1 || x.shape[3] !== w2.shape[3];
  return tf.relu(tf.add(h, shortcut(w, name, x, stride, hasDownsample))) as tf.Tensor4D;
}

function bottleneckBlock(w: (key: string) => tf.Tensor, name: string, x: tf.Tensor4D, stride: number, tap?: Tap): tf.Tensor4D {
  const w3 = w(`${name}.conv3.weight`) as tf.Tensor4D;
  let h = conv2d(x, w(`${name}.conv1.weight`) as tf.Tensor4D, 1, 0);
  tap?.('conv1', h);
  h = gn(h, w, `${name}.bn1`);
  tap?.('bn1', h);
  h = conv2d(tf.relu(h), w(`${name}.conv2.weight`) as tf.Tensor4D, stride, 1);
  tap?.('conv2', h);
  h = conv2d(tf.relu(gn(h, w, `${name}.bn2`)), w3, 1, 0);
  tap?.('conv3', h);
  h = gn(h, w, `${name}.bn3`);
  const hasDownsample = stride !== 1 || x.shape[3] !== w3.shape[3];
  const identity = shortcut(w, name, x, stride, hasDownsample);
  if (hasDownsample) tap?.('downsample', identity);
  return tf.relu(tf.add(h, identity)) as tf.Tensor4D;
}
