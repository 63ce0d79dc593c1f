/**
 * The state-dict schema of robomimic's `DiffusionPolicyUNet` nets: every key, its shape and which
 * keys share one tensor, computed from a `PolicyConfig` without allocating any weights.
 *
 * It mirrors torch: a tree of modules whose shared submodules are the same object, walked the way
 * `nn.Module.state_dict()` walks it (own parameters, own buffers, then children in registration
 * order, shared modules visited once per path), so aliases come out exactly where torch puts them.
 */
import type { PolicyConfig, RgbEncoderSpec, UnetSpec } from './config.ts';
import { invariant } from '../invariant.ts';

/** How a tensor is used, which decides its tfjs layout and its initialiser. */
export type ParamKind = 'conv2d' | 'conv1d' | 'convT1d' | 'linear' | 'bias' | 'norm-weight' | 'norm-bias' | 'buffer';

/** One distinct tensor of the nets (all its state-dict aliases together). */
export interface ParamSpec {
  /** Index into `PolicySchema.params`, and into a `PolicyWeights` tensor list. */
  id: number;
  /** Every state-dict key naming this tensor, in state-dict order; `keys[0]` is the canonical one. */
  keys: string[];
  /** The PyTorch shape. */
  shape: number[];
  kind: ParamKind;
  /** Whether the optimizer updates it (buffers such as SpatialSoftmax `pos_x` are not). */
  trainable: boolean;
  /** For convolutions owned by a torchvision ResNet trunk (initialised by torchvision, not by torch defaults). */
  resnetConv: boolean;
  /** Buffer initial values (SpatialSoftmax temperature and pixel grids), row-major. */
  bufferInit?: number[];
}

export interface SchemaEntry {
  key: string;
  param: ParamSpec;
}

/** Every key of `model.nets` (and `model.ema`, which has the same keys) in state-dict order. */
export interface PolicySchema {
  params: ParamSpec[];
  entries: SchemaEntry[];
  byKey: Map<string, ParamSpec>;
  /** `<prefix>` strings the forward pass composes keys with. */
  prefix: { obsNets: string; combine: string; unet: string };
}

interface Leaf {
  shape: number[];
  kind: ParamKind;
  trainable: boolean;
  resnetConv: boolean;
  bufferInit?: number[];
}

/** A torch module: named parameters/buffers and named children (null children own nothing). */
class Mod {
  readonly leaves: [string, Leaf][] = [];
  readonly children: [string, Mod][] = [];

  leaf(name: string, shape: number[], kind: ParamKind, extra: Partial<Leaf> = {}): this {
    this.leaves.push([name, { shape, kind, trainable: kind !== 'buffer', resnetConv: false, ...extra }]);
    return this;
  }

  child(name: string, mod: Mod): this {
    this.children.push([name, mod]);
    return this;
  }
}

/** Returns the state-dict schema the config describes (no weights are allocated). */
export function policySchema(config: PolicyConfig): PolicySchema {
  const wrap = (m: Mod): Mod => (config.dataParallel ? new Mod().child('module', m) : m);
  const policy = new Mod()
    .child('obs_encoder', wrap(groupEncoder(config)))
    .child('noise_pred_net', wrap(unet(config.unet, config.acDim, globalCondDim(config))));
  const root = new Mod().child('policy', policy);
  const mid = config.dataParallel ? 'module.' : '';
  return walk(root, {
    obsNets: `policy.obs_encoder.${mid}nets.obs.obs_nets.`,
    combine: `policy.obs_encoder.${mid}combine.`,
    unet: `policy.noise_pred_net.${mid}`,
  });
}

/** Returns the schema of one VisualCore alone (keys relative to the core), e.g. for module-level fixtures. */
export function visualCoreSchema(rgb: RgbEncoderSpec, inputShape: number[]): PolicySchema {
  return walk(visualCore(rgb, inputShape), { obsNets: '', combine: '', unet: '' });
}

function walk(root: Mod, prefix: PolicySchema['prefix']): PolicySchema {
  const params: ParamSpec[] = [];
  const entries: SchemaEntry[] = [];
  const byKey = new Map<string, ParamSpec>();
  const seen = new Map<Leaf, ParamSpec>();
  const visit = (mod: Mod, at: string): void => {
    for (const [name, leaf] of mod.leaves) {
      const key = at + name;
      let param = seen.get(leaf);
      if (!param) {
        param = { id: params.length, keys: [], ...leaf };
        params.push(param);
        seen.set(leaf, param);
      }
      param.keys.push(key);
      entries.push({ key, param });
      byKey.set(key, param);
    }
    for (const [name, child] of mod.children) visit(child, `${at}${name}.`);
  };
  visit(root, '');
  return { params, entries, byKey, prefix };
}

/** Width of one frame's features: the combine output (fork) or the concatenation (upstream). */
export function featureDim(config: PolicyConfig): number {
  return config.combine ? config.combine.out : concatDim(config);
}

/** Width of the per-frame concatenation of image features and raw low-dim values. */
export function concatDim(config: PolicyConfig): number {
  return config.obsKeys.reduce((sum, k) => sum + (k.modality === 'rgb' ? coreOutputDim(config.rgb, k.shape) : k.shape[0]!), 0);
}

/** Width of `global_cond`: `To` frames of features, flattened time-major. */
export function globalCondDim(config: PolicyConfig): number {
  return featureDim(config) * config.horizon.observation;
}

/** The VisualCore input shape `[C, H, W]` after the crop randomizer. */
export function coreInputShape(rgb: RgbEncoderSpec, imageShape: number[]): number[] {
  return rgb.crop ? [imageShape[0]!, rgb.crop.height, rgb.crop.width] : imageShape;
}

/** Trunk output `[C, H, W]`: torchvision ResNet downsamples by 32 (robomimic's `ceil(H/32)`). */
function trunkOutputShape(rgb: RgbEncoderSpec, coreInput: number[]): number[] {
  const expansion = rgb.backbone === 'ResNet50Conv' ? 4 : 1;
  let h = coreInput[1]!;
  let w = coreInput[2]!;
  // conv1 (7x7/2, pad 3), maxpool (3x3/2, pad 1), then layer2..4 each stride 2 (3x3 pad 1 or 1x1).
  for (let i = 0; i < 5; i++) {
    h = Math.floor((h - 1) / 2) + 1;
    w = Math.floor((w - 1) / 2) + 1;
  }
  return [rgb.planes[3] * expansion, h, w];
}

/** Returns the width of one image key's VisualCore output: its Linear, else the pool or flattened trunk. */
export function coreOutputDim(rgb: RgbEncoderSpec, imageShape: number[]): number {
  const input = coreInputShape(rgb, imageShape);
  const trunk = trunkOutputShape(rgb, input);
  if (rgb.featureDim !== null) return rgb.featureDim;
  return rgb.pool ? rgb.pool.numKp * 2 : trunk[0]! * trunk[1]! * trunk[2]!;
}

function groupEncoder(config: PolicyConfig): Mod {
  const obsNets = new Mod();
  const cores = new Map<string, Mod>();
  for (const k of config.obsKeys) {
    if (k.modality !== 'rgb') continue;
    const core = k.sharesCoreOf ? cores.get(k.sharesCoreOf) : visualCore(config.rgb, coreInputShape(config.rgb, k.shape));
    invariant(core, `shared core of ${k.key} built before it`);
    cores.set(k.key, core);
    obsNets.child(k.key, core);
  }
  const group = new Mod().child('nets', new Mod().child('obs', new Mod().child('obs_nets', obsNets)));
  if (config.combine) {
    const { hidden, out } = config.combine;
    const combine = new Mod()
      .child('0', linear(concatDim(config), hidden[0]))
      .child('2', linear(hidden[0], hidden[1]))
      .child('4', linear(hidden[1], out));
    group.child('combine', combine);
  }
  return group;
}

function visualCore(rgb: RgbEncoderSpec, input: number[]): Mod {
  const backbone = new Mod().child('nets', resnetTrunk(rgb, input[0]!));
  const core = new Mod().child('backbone', backbone);
  const seq = new Mod().child('0', backbone);
  const trunk = trunkOutputShape(rgb, input);
  let flat = trunk[0]! * trunk[1]! * trunk[2]!;
  if (rgb.pool) {
    const [c, h, w] = trunk as [number, number, number];
    const pool = new Mod()
      .leaf('temperature', [1], rgb.pool.learnableTemperature ? 'norm-weight' : 'buffer', { bufferInit: [rgb.pool.temperature] })
      .leaf('pos_x', [1, h * w], 'buffer', { bufferInit: grid(h, w, 'x') })
      .leaf('pos_y', [1, h * w], 'buffer', { bufferInit: grid(h, w, 'y') })
      .child('nets', conv2d(c, rgb.pool.numKp, 1, true, false));
    core.child('pool', pool);
    seq.child('1', pool);
    flat = rgb.pool.numKp * 2;
  }
  if (rgb.featureDim !== null) seq.child(String(rgb.pool ? 3 : 2), linear(flat, rgb.featureDim));
  return core.child('nets', seq);
}

/** numpy meshgrid(linspace(-1,1,W), linspace(-1,1,H)) flattened row-major, as float32 values. */
function grid(h: number, w: number, axis: 'x' | 'y'): number[] {
  const lin = (n: number, i: number): number => (n === 1 ? -1 : -1 + (2 * i) / (n - 1));
  const out: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(Math.fround(axis === 'x' ? lin(w, x) : lin(h, y)));
  return out;
}

/** torchvision ResNet children minus avgpool/fc, with every BatchNorm replaced by GroupNorm(C//16, C). */
function resnetTrunk(rgb: RgbEncoderSpec, inChannels: number): Mod {
  const trunk = new Mod().child('0', conv2d(inChannels, rgb.stem, 7, false, true)).child('1', groupNorm(rgb.stem));
  const bottleneck = rgb.backbone === 'ResNet50Conv';
  const blocks = bottleneck ? [3, 4, 6, 3] : [2, 2, 2, 2];
  const expansion = bottleneck ? 4 : 1;
  let inplanes = rgb.stem;
  rgb.planes.forEach((planes, stage) => {
    const layer = new Mod();
    for (let b = 0; b < blocks[stage]!; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const block = new Mod();
      if (bottleneck) {
        block.child('conv1', conv2d(inplanes, planes, 1, false, true)).child('bn1', groupNorm(planes));
        block.child('conv2', conv2d(planes, planes, 3, false, true)).child('bn2', groupNorm(planes));
        block.child('conv3', conv2d(planes, planes * expansion, 1, false, true)).child('bn3', groupNorm(planes * expansion));
      } else {
        block.child('conv1', conv2d(inplanes, planes, 3, false, true)).child('bn1', groupNorm(planes));
        block.child('conv2', conv2d(planes, planes, 3, false, true)).child('bn2', groupNorm(planes));
      }
      if (b === 0 && (stride !== 1 || inplanes !== planes * expansion)) {
        block.child('downsample', new Mod().child('0', conv2d(inplanes, planes * expansion, 1, false, true)).child('1', groupNorm(planes * expansion)));
      }
      inplanes = planes * expansion;
      layer.child(String(b), block);
    }
    trunk.child(String(4 + stage), layer);
  });
  return trunk;
}

function conv2d(inC: number, outC: number, k: number, bias: boolean, resnetConv: boolean): Mod {
  const m = new Mod().leaf('weight', [outC, inC, k, k], 'conv2d', { resnetConv });
  return bias ? m.leaf('bias', [outC], 'bias') : m;
}

function groupNorm(c: number): Mod {
  return new Mod().leaf('weight', [c], 'norm-weight').leaf('bias', [c], 'norm-bias');
}

function linear(inF: number, outF: number): Mod {
  return new Mod().leaf('weight', [outF, inF], 'linear').leaf('bias', [outF], 'bias');
}

function conv1d(inC: number, outC: number, k: number): Mod {
  return new Mod().leaf('weight', [outC, inC, k], 'conv1d').leaf('bias', [outC], 'bias');
}

function conv1dBlock(inC: number, outC: number, k: number): Mod {
  return new Mod().child('block', new Mod().child('0', conv1d(inC, outC, k)).child('1', groupNorm(outC)));
}

function resBlock(inC: number, outC: number, condDim: number, k: number): Mod {
  const m = new Mod()
    .child('blocks', new Mod().child('0', conv1dBlock(inC, outC, k)).child('1', conv1dBlock(outC, outC, k)))
    .child('cond_encoder', new Mod().child('1', linear(condDim, outC * 2)));
  return inC !== outC ? m.child('residual_conv', conv1d(inC, outC, 1)) : m;
}

/** ConditionalUnet1D; registration order mid, step encoder, up, down, final (as in its __init__). */
function unet(spec: UnetSpec, acDim: number, globalCond: number): Mod {
  const { stepEmbedDim: dsed, downDims, kernelSize: k } = spec;
  const condDim = dsed + globalCond;
  const all = [acDim, ...downDims];
  const inOut = all.slice(0, -1).map((d, i) => [d, all[i + 1]!] as const);
  const midDim = all[all.length - 1]!;
  const mid = new Mod().child('0', resBlock(midDim, midDim, condDim, k)).child('1', resBlock(midDim, midDim, condDim, k));
  const step = new Mod().child('1', linear(dsed, dsed * 4)).child('3', linear(dsed * 4, dsed));
  const up = new Mod();
  [...inOut.slice(1)].reverse().forEach(([dimIn, dimOut], i) => {
    // robomimic's `is_last` test never fires on the up path, so every level upsamples.
    const level = new Mod().child('0', resBlock(dimOut * 2, dimIn, condDim, k)).child('1', resBlock(dimIn, dimIn, condDim, k));
    level.child('2', new Mod().child('conv', new Mod().leaf('weight', [dimIn, dimIn, 4], 'convT1d').leaf('bias', [dimIn], 'bias')));
    up.child(String(i), level);
  });
  const down = new Mod();
  inOut.forEach(([dimIn, dimOut], i) => {
    const level = new Mod().child('0', resBlock(dimIn, dimOut, condDim, k)).child('1', resBlock(dimOut, dimOut, condDim, k));
    if (i < inOut.length - 1) level.child('2', new Mod().child('conv', conv1d(dimOut, dimOut, 3)));
    down.child(String(i), level);
  });
  const start = downDims[0]!;
  const final = new Mod().child('0', conv1dBlock(start, start, k)).child('1', conv1d(start, acDim, 1));
  return new Mod().child('mid_modules', mid).child('diffusion_step_encoder', step).child('up_modules', up).child('down_modules', down).child('final_conv', final);
}
