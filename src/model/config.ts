/**
 * The boundary between a robomimic config JSON (`config.dump()` or a hand-written experiment
 * config) and the model: `validatePolicyConfig` reads it once, fills every default the way the
 * real robomimic code would, and returns a `PolicyConfig` that nothing downstream re-checks.
 */
import { InputError } from '../input-error.ts';

export type CodeBase = 'fork' | 'upstream';
export type Backbone = 'ResNet18Conv' | 'ResNet50Conv';

/** One observation key as the encoder sees it, in robomimic's encoder order. */
export interface ObsKeySpec {
  key: string;
  modality: 'low_dim' | 'rgb';
  /** Processed shape without batch/time: `[D]` for low-dim, `[C, H, W]` for images. */
  shape: number[];
  /** For images whose VisualCore is another key's (the fork shares all `varied_camera` cores): that key. */
  sharesCoreOf: string | null;
}

export interface SpatialSoftmaxSpec {
  numKp: number;
  temperature: number;
  learnableTemperature: boolean;
  outputVariance: boolean;
  noiseStd: number;
}

/** ColorJitter ranges, already expanded to `[min, max]` as robomimic's ColorRandomizer does. */
export interface ColorSpec {
  brightness: [number, number];
  contrast: [number, number];
  saturation: [number, number];
  hue: [number, number];
  numSamples: number;
}

export interface CropSpec {
  height: number;
  width: number;
  numCrops: number;
}

/** The per-image-key encoder (`VisualCore`) and its randomizers. */
export interface RgbEncoderSpec {
  backbone: Backbone;
  /** Stem channels and the four stage `planes`; torchvision's 64/[64,128,256,512] unless a checkpoint says otherwise. */
  stem: number;
  planes: [number, number, number, number];
  pool: SpatialSoftmaxSpec | null;
  /** Output of the Linear after flatten; null = no Linear. */
  featureDim: number | null;
  color: ColorSpec | null;
  crop: CropSpec | null;
  /** Randomizers in config order (robomimic applies `forward_in` in this order). */
  randomizerOrder: ('color' | 'crop')[];
}

export interface UnetSpec {
  stepEmbedDim: number;
  downDims: number[];
  kernelSize: number;
  nGroups: number;
}

export interface SchedulerSpec {
  kind: 'ddpm' | 'ddim';
  numTrainTimesteps: number;
  numInferenceTimesteps: number;
  betaSchedule: 'squaredcos_cap_v2' | 'linear';
  betaStart: number;
  betaEnd: number;
  clipSample: boolean;
  /** DDIM only. */
  setAlphaToOne: boolean;
  stepsOffset: number;
}

/** A fully resolved diffusion-policy config: every default filled, every width known. */
export interface PolicyConfig {
  code: CodeBase;
  /** The fork wraps encoder and UNet in `DataParallel` (`.module.` in every key). */
  dataParallel: boolean;
  obsKeys: ObsKeySpec[];
  rgb: RgbEncoderSpec;
  /** The fork's MLP after the concatenation: hidden widths and output width; null upstream. */
  combine: { hidden: [number, number]; out: number } | null;
  unet: UnetSpec;
  scheduler: SchedulerSpec;
  horizon: { observation: number; action: number; prediction: number };
  /** Noise draws per sample in training (fork `algo.noise_samples`; upstream 1). */
  noiseSamples: number;
  ema: { enabled: boolean; power: number };
  acDim: number;
  /** robomimic's action keys, concatenated in this order into the `acDim`-wide action. */
  actionKeys: string[];
  /** Width of each action key (sums to `acDim`). */
  actionDims: number[];
}

/** Shapes the config alone does not record: what `shape_metadata` in a checkpoint holds. */
export interface ShapeMetadata {
  acDim?: number;
  /** Processed obs shapes (images `[C,H,W]`), in the order robomimic built the encoder. */
  allShapes?: Map<string, number[]>;
  /** Low-dim sizes given by the user (`--obs-dim key=N`), used where `allShapes` is absent. */
  obsDims?: Map<string, number>;
}

export interface ValidatedConfig {
  config: PolicyConfig;
  warnings: string[];
}

/** What robomimic v0.5 and the fork build whatever `algo.unet` says (they pass no UNet arguments). */
export const ROBOMIMIC_UNET: Readonly<UnetSpec> = { stepEmbedDim: 256, downDims: [256, 512, 1024], kernelSize: 5, nGroups: 8 };
/** The fork's hard-coded `combine` MLP. */
export const FORK_COMBINE = { hidden: [1024, 512] as [number, number], out: 512 };
/** torchvision resnet18/resnet50 widths. */
export const TORCHVISION_RESNET = { stem: 64, planes: [64, 128, 256, 512] as [number, number, number, number] };

/**
 * Low-dim sizes of well-known DROID and LIBERO observation keys, used only when neither a checkpoint's
 * `shape_metadata` nor the caller gives them (a config file does not record them).
 */
const KNOWN_LOW_DIM: Readonly<Record<string, number>> = {
  'robot_state/cartesian_position': 6,
  'robot_state/gripper_position': 1,
  'robot_state/joint_positions': 7,
  ee_pos: 3,
  ee_ori: 3,
  ee_states: 6,
  gripper_states: 2,
  joint_states: 7,
  robot0_eef_pos: 3,
  robot0_eef_quat: 4,
  robot0_gripper_qpos: 2,
};

/** The fork's `droid_rlds` loader builds `all_shapes` from this fixed list (file_utils.get_shape_metadata_from_dataset). */
const DROID_RLDS_KEY_ORDER = [
  'robot_state/cartesian_position',
  'robot_state/gripper_position',
  'camera/image/varied_camera_1_left_image',
  'camera/image/varied_camera_2_left_image',
];

type Json = Record<string, unknown>;

/**
 * Returns the resolved policy config for a robomimic `diffusion_policy` config JSON, plus warnings
 * (e.g. `algo.unet` values that robomimic itself would ignore). Throws `InputError` naming the
 * JSON path of the first unusable value.
 *
 * @param json the parsed config (object) or its text.
 * @param file the path shown in errors.
 * @param shapes `shape_metadata` from a checkpoint when building to load one; it fixes the obs
 *   order and sizes exactly as robomimic recorded them.
 */
export function validatePolicyConfig(json: unknown, file: string, shapes: ShapeMetadata = {}): ValidatedConfig {
  const root = typeof json === 'string' ? parseJson(json, file) : json;
  const r = new Reader(file);
  const cfg = r.object(root, '');
  const warnings: string[] = [];
  const algoName = cfg.algo_name;
  if (algoName !== 'diffusion_policy') {
    r.fail('algo_name', `is ${JSON.stringify(algoName)}, but only "diffusion_policy" configs describe this model.`);
  }
  const algo = r.object(cfg.algo, 'algo');
  const obsCfg = r.object(cfg.observation, 'observation');
  const train = r.object(cfg.train ?? {}, 'train');
  const encoder = r.object(obsCfg.encoder, 'observation.encoder');
  const rgbEnc = r.object(encoder.rgb ?? {}, 'observation.encoder.rgb');
  const code: CodeBase = 'noise_samples' in algo && algo.noise_samples !== null ? 'fork' : 'fuser' in rgbEnc ? 'fork' : 'upstream';

  const rgb = rgbSpec(r, rgbEnc, code);
  const obsKeys = obsKeySpecs(r, obsCfg, train, code, rgb, shapes);
  const guessedImages = obsKeys.filter((k) => k.modality === 'rgb' && !shapes.allShapes?.has(k.key));
  if (guessedImages.length > 0 && !Array.isArray(obsCfg.image_dim)) {
    // robomimic reads image sizes from the dataset; with neither a dataset nor image_dim, 128x128 is LIBERO's stored size.
    warnings.push(`observation.image_dim is not set, so ${guessedImages.map((k) => `"${k.key}"`).join(', ')} are taken as 3x128x128 (the dataset's size decides in robomimic); set observation.image_dim if yours differ.`);
  }
  const unet = unetSpec(r, r.object(algo.unet, 'algo.unet'), warnings);
  const horizonCfg = r.object(algo.horizon, 'algo.horizon');
  const horizon = {
    observation: r.int(horizonCfg.observation_horizon, 'algo.horizon.observation_horizon', 1),
    action: r.int(horizonCfg.action_horizon, 'algo.horizon.action_horizon', 1),
    prediction: r.int(horizonCfg.prediction_horizon, 'algo.horizon.prediction_horizon', 1),
  };
  if (horizon.prediction % 4 !== 0) {
    r.fail('algo.horizon.prediction_horizon', `is ${horizon.prediction}; the UNet halves it twice, so it must be a multiple of 4.`);
  }
  const emaCfg = r.object(algo.ema ?? { enabled: false, power: 0.75 }, 'algo.ema');
  return {
    config: {
      code,
      dataParallel: code === 'fork',
      obsKeys,
      rgb,
      combine: code === 'fork' ? { hidden: [...FORK_COMBINE.hidden], out: FORK_COMBINE.out } : null,
      unet,
      scheduler: schedulerSpec(r, algo),
      horizon,
      noiseSamples: code === 'fork' ? r.int(algo.noise_samples, 'algo.noise_samples', 1) : 1,
      ema: { enabled: emaCfg.enabled !== false, power: r.num(emaCfg.power ?? 0.75, 'algo.ema.power') },
      ...actionLayout(r, train, shapes),
    },
    warnings,
  };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError('config/not-json', file, `is not valid JSON (${(error as Error).message}).`);
  }
}

/** Typed access to JSON values; every failure names the JSON path. */
class Reader {
  constructor(readonly file: string) {}

  fail(path: string, what: string): never {
    throw new InputError('config/invalid', this.file, `"${path || '<root>'}" ${what}`);
  }

  object(value: unknown, path: string): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, 'must be a JSON object.');
    return value as Json;
  }

  num(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, `must be a number, not ${JSON.stringify(value)}.`);
    return value;
  }

  int(value: unknown, path: string, min: number): number {
    const n = this.num(value, path);
    if (!Number.isInteger(n) || n < min) this.fail(path, `must be an integer >= ${min}, not ${n}.`);
    return n;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, not ${JSON.stringify(value)}.`);
    return value;
  }

  strings(value: unknown, path: string): string[] {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) this.fail(path, 'must be a list of strings.');
    return value as string[];
  }
}

function rgbSpec(r: Reader, rgbEnc: Json, code: CodeBase): RgbEncoderSpec {
  const base = 'observation.encoder.rgb';
  if (rgbEnc.core_class !== undefined && rgbEnc.core_class !== null && rgbEnc.core_class !== 'VisualCore') {
    r.fail(`${base}.core_class`, `is ${JSON.stringify(rgbEnc.core_class)}; only "VisualCore" is supported.`);
  }
  if (code === 'fork' && rgbEnc.fuser !== undefined && rgbEnc.fuser !== null) {
    r.fail(`${base}.fuser`, `is ${JSON.stringify(rgbEnc.fuser)}; only null (plain concatenation) is supported.`);
  }
  const core = r.object(rgbEnc.core_kwargs ?? {}, `${base}.core_kwargs`);
  const backbone = core.backbone_class ?? 'ResNet18Conv';
  if (backbone !== 'ResNet18Conv' && backbone !== 'ResNet50Conv') {
    r.fail(`${base}.core_kwargs.backbone_class`, `is ${JSON.stringify(backbone)}; supported: "ResNet18Conv", "ResNet50Conv".`);
  }
  const bbKwargs = r.object(core.backbone_kwargs ?? {}, `${base}.core_kwargs.backbone_kwargs`);
  if (bbKwargs.input_coord_conv === true) {
    r.fail(`${base}.core_kwargs.backbone_kwargs.input_coord_conv`, 'is true; CoordConv stems are not supported.');
  }
  const flatten = core.flatten ?? true;
  if (flatten !== true) r.fail(`${base}.core_kwargs.flatten`, 'must be true (diffusion policy concatenates flat features).');
  // VisualCore.__init__ defaults (upstream "default image encoder"): SpatialSoftmax pool, 64 features.
  const poolClass = 'pool_class' in core ? core.pool_class : 'SpatialSoftmax';
  let pool: SpatialSoftmaxSpec | null = null;
  if (poolClass === 'SpatialSoftmax') {
    const p = r.object(core.pool_kwargs ?? {}, `${base}.core_kwargs.pool_kwargs`);
    pool = {
      numKp: r.int(p.num_kp ?? 32, `${base}.core_kwargs.pool_kwargs.num_kp`, 1),
      temperature: r.num(p.temperature ?? 1, `${base}.core_kwargs.pool_kwargs.temperature`),
      learnableTemperature: r.bool(p.learnable_temperature ?? false, `${base}.core_kwargs.pool_kwargs.learnable_temperature`),
      outputVariance: r.bool(p.output_variance ?? false, `${base}.core_kwargs.pool_kwargs.output_variance`),
      noiseStd: r.num(p.noise_std ?? 0, `${base}.core_kwargs.pool_kwargs.noise_std`),
    };
    if (pool.outputVariance) r.fail(`${base}.core_kwargs.pool_kwargs.output_variance`, 'is true; not supported.');
  } else if (poolClass !== null) {
    r.fail(`${base}.core_kwargs.pool_class`, `is ${JSON.stringify(poolClass)}; supported: "SpatialSoftmax" or null.`);
  }
  const featureDim = 'feature_dimension' in core ? core.feature_dimension : 64;
  const { color, crop, order } = randomizers(r, rgbEnc, base);
  return {
    backbone: backbone as Backbone,
    stem: TORCHVISION_RESNET.stem,
    planes: [...TORCHVISION_RESNET.planes],
    pool,
    featureDim: featureDim === null ? null : r.int(featureDim, `${base}.core_kwargs.feature_dimension`, 1),
    color,
    crop,
    randomizerOrder: order,
  };
}

function randomizers(r: Reader, rgbEnc: Json, base: string): { color: ColorSpec | null; crop: CropSpec | null; order: ('color' | 'crop')[] } {
  const classes = listify(rgbEnc.obs_randomizer_class ?? null);
  const kwargsList = listify(rgbEnc.obs_randomizer_kwargs ?? {});
  let color: ColorSpec | null = null;
  let crop: CropSpec | null = null;
  const order: ('color' | 'crop')[] = [];
  classes.forEach((cls, i) => {
    const path = `${base}.obs_randomizer_kwargs${classes.length > 1 ? `[${i}]` : ''}`;
    const kw = r.object(kwargsList[i] ?? {}, path);
    if (cls === null) return;
    if (cls === 'CropRandomizer') {
      crop = {
        height: r.int(kw.crop_height ?? 76, `${path}.crop_height`, 1),
        width: r.int(kw.crop_width ?? 76, `${path}.crop_width`, 1),
        numCrops: r.int(kw.num_crops ?? 1, `${path}.num_crops`, 1),
      };
      if (kw.pos_enc === true) r.fail(`${path}.pos_enc`, 'is true; crop position encoding is not supported.');
      order.push('crop');
    } else if (cls === 'ColorRandomizer') {
      const range = (v: unknown, name: string, hue = false): [number, number] => {
        if (Array.isArray(v)) return [r.num(v[0], `${path}.${name}[0]`), r.num(v[1], `${path}.${name}[1]`)];
        const x = r.num(v, `${path}.${name}`);
        return hue ? [-x, x] : [Math.max(0, 1 - x), 1 + x];
      };
      color = {
        brightness: range(kw.brightness ?? 0.3, 'brightness'),
        contrast: range(kw.contrast ?? 0.3, 'contrast'),
        saturation: range(kw.saturation ?? 0.3, 'saturation'),
        hue: range(kw.hue ?? 0.3, 'hue', true),
        numSamples: r.int(kw.num_samples ?? 1, `${path}.num_samples`, 1),
      };
      order.push('color');
    } else {
      r.fail(`${base}.obs_randomizer_class`, `names ${JSON.stringify(cls)}; supported: "CropRandomizer", "ColorRandomizer".`);
    }
  });
  return { color, crop, order };
}

function listify(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function obsKeySpecs(
  r: Reader,
  obsCfg: Json,
  train: Json,
  code: CodeBase,
  rgb: RgbEncoderSpec,
  shapes: ShapeMetadata,
): ObsKeySpec[] {
  const modalities = r.object(r.object(obsCfg.modalities, 'observation.modalities').obs, 'observation.modalities.obs');
  const lowDim = r.strings(modalities.low_dim ?? [], 'observation.modalities.obs.low_dim');
  const images = r.strings(modalities.rgb ?? [], 'observation.modalities.obs.rgb');
  for (const m of ['depth', 'scan']) {
    if (Array.isArray(modalities[m]) && (modalities[m] as unknown[]).length > 0) {
      r.fail(`observation.modalities.obs.${m}`, 'is not empty; only low_dim and rgb observations are supported.');
    }
  }
  const modalityOf = new Map<string, 'low_dim' | 'rgb'>();
  for (const k of lowDim) modalityOf.set(k, 'low_dim');
  for (const k of images) modalityOf.set(k, 'rgb');
  const order = shapes.allShapes ? [...shapes.allShapes.keys()] : defaultKeyOrder([...modalityOf.keys()], train);
  const imageDim = Array.isArray(obsCfg.image_dim) ? (obsCfg.image_dim as number[]) : [128, 128];
  const specs: ObsKeySpec[] = [];
  for (const key of order) {
    const modality = modalityOf.get(key);
    if (modality === undefined) {
      r.fail('observation.modalities.obs', `does not list "${key}", which the checkpoint's shape_metadata has.`);
    }
    const recorded = shapes.allShapes?.get(key);
    let shape: number[];
    if (recorded) shape = recorded;
    else if (modality === 'rgb') shape = [3, imageDim[0]!, imageDim[1]!];
    else {
      const dim = shapes.obsDims?.get(key) ?? KNOWN_LOW_DIM[key];
      if (dim === undefined) {
        r.fail('observation.modalities.obs.low_dim', `lists "${key}", whose size the config does not record; give it with --obs-dim ${key}=N.`);
      }
      shape = [dim];
    }
    // The fork shares one VisualCore among all `camera/image/varied_camera*` keys (obs_encoder_factory).
    const firstVaried = specs.find((s) => s.key.includes('camera/image/varied_camera'));
    const shares = code === 'fork' && modality === 'rgb' && key.includes('camera/image/varied_camera') && firstVaried ? firstVaried.key : null;
    specs.push({ key, modality, shape, sharesCoreOf: shares });
  }
  for (const spec of specs) {
    if (spec.modality === 'rgb' && rgb.crop && (rgb.crop.height >= spec.shape[1]! || rgb.crop.width >= spec.shape[2]!)) {
      r.fail('observation.encoder.rgb.obs_randomizer_kwargs', `crops ${rgb.crop.height}x${rgb.crop.width}, not smaller than "${spec.key}" (${spec.shape.join('x')}).`);
    }
  }
  return specs;
}

/** robomimic's hdf5 path sorts the obs keys; the fork's droid_rlds path uses its fixed list. */
function defaultKeyOrder(keys: string[], train: Json): string[] {
  if (train.data_format === 'droid_rlds') {
    const known = DROID_RLDS_KEY_ORDER.filter((k) => keys.includes(k));
    return [...known, ...keys.filter((k) => !known.includes(k)).sort()];
  }
  return [...keys].sort();
}

function unetSpec(r: Reader, unet: Json, warnings: string[]): UnetSpec {
  const spec: UnetSpec = {
    stepEmbedDim: r.int(unet.diffusion_step_embed_dim ?? ROBOMIMIC_UNET.stepEmbedDim, 'algo.unet.diffusion_step_embed_dim', 2),
    downDims: unet.down_dims === undefined ? [...ROBOMIMIC_UNET.downDims] : numbers(r, unet.down_dims, 'algo.unet.down_dims'),
    kernelSize: r.int(unet.kernel_size ?? ROBOMIMIC_UNET.kernelSize, 'algo.unet.kernel_size', 1),
    nGroups: r.int(unet.n_groups ?? ROBOMIMIC_UNET.nGroups, 'algo.unet.n_groups', 1),
  };
  if (spec.downDims.length < 2) r.fail('algo.unet.down_dims', 'must list at least two widths.');
  if (spec.kernelSize % 2 !== 1) r.fail('algo.unet.kernel_size', 'must be odd (robomimic pads kernel_size // 2).');
  const same = JSON.stringify(spec) === JSON.stringify(ROBOMIMIC_UNET);
  if (!same) {
    warnings.push(
      `algo.unet is ${JSON.stringify(spec)}, but robomimic ignores algo.unet and always builds ${JSON.stringify(ROBOMIMIC_UNET)}; ` +
        'building what the config says.',
    );
  }
  return spec;
}

function numbers(r: Reader, value: unknown, path: string): number[] {
  if (!Array.isArray(value)) r.fail(path, 'must be a list of integers.');
  return value.map((v, i) => r.int(v, `${path}[${i}]`, 1));
}

function schedulerSpec(r: Reader, algo: Json): SchedulerSpec {
  const ddpm = r.object(algo.ddpm ?? { enabled: false }, 'algo.ddpm');
  const ddim = r.object(algo.ddim ?? { enabled: false }, 'algo.ddim');
  // DiffusionPolicyUNet._create_networks checks ddpm first.
  const kind = ddpm.enabled === true ? 'ddpm' : ddim.enabled === true ? 'ddim' : null;
  if (kind === null) r.fail('algo.ddpm.enabled', 'and "algo.ddim.enabled" are both false; one scheduler must be enabled.');
  const s = kind === 'ddpm' ? ddpm : ddim;
  const path = `algo.${kind}`;
  const betaSchedule = s.beta_schedule ?? 'linear';
  if (betaSchedule !== 'squaredcos_cap_v2' && betaSchedule !== 'linear') {
    r.fail(`${path}.beta_schedule`, `is ${JSON.stringify(betaSchedule)}; supported: "squaredcos_cap_v2", "linear".`);
  }
  if ((s.prediction_type ?? 'epsilon') !== 'epsilon') r.fail(`${path}.prediction_type`, 'must be "epsilon".');
  if (kind === 'ddpm' && (s.variance_type ?? 'fixed_small') !== 'fixed_small') r.fail(`${path}.variance_type`, 'must be "fixed_small".');
  const numTrainTimesteps = r.int(s.num_train_timesteps ?? 1000, `${path}.num_train_timesteps`, 1);
  const numInferenceTimesteps = r.int(s.num_inference_timesteps ?? numTrainTimesteps, `${path}.num_inference_timesteps`, 1);
  if (numInferenceTimesteps > numTrainTimesteps) r.fail(`${path}.num_inference_timesteps`, `exceeds num_train_timesteps (${numTrainTimesteps}).`);
  return {
    kind,
    numTrainTimesteps,
    numInferenceTimesteps,
    betaSchedule,
    betaStart: r.num(s.beta_start ?? 0.0001, `${path}.beta_start`),
    betaEnd: r.num(s.beta_end ?? 0.02, `${path}.beta_end`),
    clipSample: r.bool(s.clip_sample ?? true, `${path}.clip_sample`),
    setAlphaToOne: r.bool(s.set_alpha_to_one ?? true, `${path}.set_alpha_to_one`),
    stepsOffset: r.int(s.steps_offset ?? 0, `${path}.steps_offset`, 0),
  };
}

function actionLayout(r: Reader, train: Json, shapes: ShapeMetadata): { acDim: number; actionKeys: string[]; actionDims: number[] } {
  const actionKeys = train.action_keys === undefined ? ['actions'] : r.strings(train.action_keys, 'train.action_keys');
  if (Array.isArray(train.action_shapes)) {
    const dims = (train.action_shapes as unknown[]).map((s, i) => {
      const d = Array.isArray(s) ? s : [s];
      return r.int(d[d.length - 1], `train.action_shapes[${i}]`, 1);
    });
    if (dims.length !== actionKeys.length) r.fail('train.action_shapes', `lists ${dims.length} shapes for ${actionKeys.length} action keys.`);
    const acDim = dims.reduce((a, b) => a + b, 0);
    if (shapes.acDim !== undefined && shapes.acDim !== acDim) {
      r.fail('train.action_shapes', `adds up to ${acDim} action dims, but the checkpoint's shape_metadata says ${shapes.acDim}.`);
    }
    return { acDim, actionKeys, actionDims: dims };
  }
  if (shapes.acDim === undefined) r.fail('train.action_shapes', 'is missing, so the action size is unknown; give it with --ac-dim N.');
  if (actionKeys.length !== 1) r.fail('train.action_shapes', `is missing, so the widths of the ${actionKeys.length} action keys are unknown.`);
  return { acDim: shapes.acDim, actionKeys, actionDims: [shapes.acDim] };
}
