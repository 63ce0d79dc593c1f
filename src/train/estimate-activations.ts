/**
 * How many bytes of activations one training step keeps alive at once, worked out from the layer
 * shapes of the config (no tensor is made). `tf.variableGrads` keeps every tensor the forward pass
 * makes until the backward pass is done, so the count walks the forward pass of `computeLoss`
 * (src/model/encoder.ts, unet.ts, ops.ts) and adds up each op's output, at the multiplicities
 * those modules produce them: a GroupNorm keeps five tensors of its input's size (the moments'
 * squared difference, `x − mean`, the normalised values, `· gamma`, `+ beta`), a Mish three
 * (softplus, tanh, product), a padded convolution its padded input, and so on. Reshapes share
 * their input's buffer and count nothing.
 */
import type { PolicyConfig } from '../model/config.ts';
import { concatDim, coreInputShape, featureDim } from '../model/schema.ts';

const FLOAT32_BYTES = 4;
/** Tensors a GroupNorm keeps per input element (see the module comment). */
const GROUP_NORM_COPIES = 5;
/** Tensors a Mish keeps per input element. */
const MISH_COPIES = 3;
/**
 * The backward pass's own working set on top of the kept forward tensors, as a multiple of them:
 * tfjs's `backpropagateGradients` frees no layer's output gradient until the whole pass is done,
 * and a convolution's gradients build transposed and dilated copies. Measured as the peak
 * `tf.memory()` of a step less the model state: 3× for a narrow ResNet50 policy on wasm at batch
 * 1, 2 and 4 (test/train/plan-memory.test.ts), 4.3× for the full-size LIBERO policy at batch 1
 * on cpu (bench/train.ts); the larger keeps the plan on the safe side.
 */
export const BACKWARD_OVERHEAD = 4.3;

/** Returns the estimated peak bytes of a training step's activations (forward tensors and backward working set) at `batchSize`. */
export function estimateActivationBytes(config: PolicyConfig, batchSize: number): number {
  return Math.ceil(forwardElements(config, batchSize) * FLOAT32_BYTES * (1 + BACKWARD_OVERHEAD));
}

/** Returns the number of float32 elements the forward pass of `computeLoss` keeps for the backward pass. */
export function forwardElements(config: PolicyConfig, batchSize: number): number {
  const rows = batchSize * config.horizon.observation;
  let total = 0;
  for (const spec of config.obsKeys) {
    if (spec.modality === 'low_dim') {
      total += rows * spec.shape[0]!;
      continue;
    }
    total += imageEncoderElements(config, rows, spec.shape);
  }
  const concat = concatDim(config);
  total += rows * concat;
  if (config.combine) {
    const { hidden, out } = config.combine;
    // Linear = matMul + bias add; ReLU after the first two.
    total += rows * (hidden[0] * 3 + hidden[1] * 3 + out * 2);
  }
  const globalCond = featureDim(config) * config.horizon.observation;
  return total + unetElements(config, batchSize, globalCond);
}

/** The uploaded image rows, trunk, flatten and Linear of one camera, for `rows` folded frames. */
function imageEncoderElements(config: PolicyConfig, rows: number, imageShape: number[]): number {
  const { rgb } = config;
  const c = imageShape[0]!;
  // The randomizers run on the host (randomize-images.ts): only their output rows are uploaded.
  let n = rows;
  for (const kind of rgb.randomizerOrder) n *= kind === 'color' ? rgb.color!.numSamples : rgb.crop!.numCrops;
  const [, ch, cw] = coreInputShape(rgb, imageShape) as [number, number, number];
  let total = n * c * ch * cw;
  const trunk = trunkElements(rgb, n, c, ch, cw);
  total += trunk.elements;
  const flat = trunk.out;
  if (!rgb.pool) total += n * flat; // the C-major transpose before the flatten
  const features = rgb.featureDim ?? flat;
  // Linear (matMul + bias) and the encoder's ReLU; the mean over crop/colour copies.
  total += n * features * 3 + (n > rows ? rows * features : 0);
  return total;
}

/** The ResNet trunk's kept elements and its per-row output width. */
function trunkElements(rgb: PolicyConfig['rgb'], n: number, c: number, h: number, w: number): { elements: number; out: number } {
  let total = 0;
  // Stem: the image padded by 3, the 7×7/2 convolution, GroupNorm, ReLU, the 3×3/2 max-pool.
  total += n * c * (h + 6) * (w + 6);
  [h, w] = [half(h), half(w)];
  total += n * rgb.stem * h * w * (1 + GROUP_NORM_COPIES + 1);
  [h, w] = [half(h), half(w)];
  total += n * rgb.stem * h * w;
  const bottleneck = rgb.backbone === 'ResNet50Conv';
  const blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  const expansion = bottleneck ? 4 : 1;
  let inC = rgb.stem;
  rgb.planes.forEach((planes, stage) => {
    for (let b = 0; b < blocks[stage]!; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const [oh, ow] = stride === 2 ? [half(h), half(w)] : [h, w];
      const outC = planes * expansion;
      const unit = 1 + GROUP_NORM_COPIES; // a convolution's output and its GroupNorm
      if (bottleneck) {
        // conv1 1×1 + GN + ReLU at the input size; conv2 3×3 (padded input) + GN + ReLU; conv3 1×1 + GN.
        total += n * planes * h * w * (unit + 1);
        total += n * planes * (h + 2) * (w + 2);
        total += n * planes * oh * ow * (unit + 1);
        total += n * outC * oh * ow * unit;
      } else {
        total += n * inC * (h + 2) * (w + 2);
        total += n * planes * oh * ow * (unit + 1);
        total += n * planes * (oh + 2) * (ow + 2);
        total += n * planes * oh * ow * unit;
      }
      if (b === 0 && (stride !== 1 || inC !== outC)) total += n * outC * oh * ow * unit;
      // The residual add and the block's ReLU.
      total += n * outC * oh * ow * 2;
      inC = outC;
      [h, w] = [oh, ow];
    }
  });
  return { elements: total, out: inC * h * w };
}

/** ConditionalUnet1D on `noiseSamples · B` rows of `Tp` steps, plus the loss around it. */
function unetElements(config: PolicyConfig, batchSize: number, globalCond: number): number {
  const { stepEmbedDim, downDims, kernelSize } = config.unet;
  const n = config.noiseSamples * batchSize;
  const pad = Math.floor(kernelSize / 2);
  const ac = config.acDim;
  let t = config.horizon.prediction;
  // Noise, tiled actions, noisy actions, the step embedding MLP, the tiled condition and its Mish.
  let total = n * t * ac * 4 + n * stepEmbedDim * 8 + n * (stepEmbedDim + globalCond) * (2 + MISH_COPIES);
  // Conv1d (padded input, output, bias add) → GroupNorm → Mish.
  const block = (inC: number, outC: number, len: number): number => n * inC * (len + 2 * pad) + n * outC * len * (2 + GROUP_NORM_COPIES + MISH_COPIES);
  const res = (inC: number, outC: number, len: number): number => {
    let e = block(inC, outC, len) + block(outC, outC, len);
    e += n * outC * 4; // FiLM linear (matMul + bias) and its two slices
    e += n * outC * len * 2; // scale · h + bias
    if (inC !== outC) e += n * outC * len * 2; // residual 1×1 conv and its bias
    return e + n * outC * len; // the residual add
  };
  const dims = [ac, ...downDims];
  downDims.forEach((d, i) => {
    total += res(dims[i]!, d, t) + res(d, d, t);
    if (i < downDims.length - 1) {
      total += n * d * (t + 2) + n * d * half(t) * 2; // stride-2 conv: padded input, output, bias
      t = half(t);
    }
  });
  const mid = downDims[downDims.length - 1]!;
  total += 2 * res(mid, mid, t);
  for (let i = downDims.length - 1; i > 0; i--) {
    const [dimIn, dimOut] = [downDims[i - 1]!, downDims[i]!];
    total += n * dimOut * 2 * t; // the skip concat
    total += res(dimOut * 2, dimIn, t) + res(dimIn, dimIn, t);
    // ConvTranspose1d as a dilated, padded stride-1 convolution, then its crop and bias.
    total += n * dimIn * (2 * t + 2 * (kernelSize - 1)) * 2 + n * dimIn * 2 * t * 3;
    t *= 2;
  }
  total += block(downDims[0]!, downDims[0]!, t) + n * ac * t * 4; // final block, 1×1 conv, squared error
  return total;
}

function half(x: number): number {
  return Math.floor((x - 1) / 2) + 1;
}
