/**
 * The training half of a robomimic config: `validateTrainConfig` reads it once, fills every default
 * the way robomimic's `train.py` and `TorchUtils` would, applies the command-line overrides, and
 * returns a `TrainConfig` nothing downstream re-checks. (The model half is `validatePolicyConfig`.)
 */
import { InputError } from '../input-error.ts';
import type { ActionNormalization, DataSource, DataSpec, ObsKeySpec } from '../data/data-spec.ts';
import type { AdamConfig } from './adam.ts';
import type { LrSchedule } from './lr-schedule.ts';

/** Command-line values that replace the config's (`surgery train --epochs ...`). */
export interface TrainOverrides {
  data?: string[];
  epochs?: number;
  stepsPerEpoch?: number;
  batchSize?: number;
  seed?: number;
}

export interface TrainConfig {
  dataSpec: DataSpec;
  /** `train.data`, or the `--data` files with weight 1. */
  sources: DataSource[];
  /** Mask for validation demos (`train.hdf5_validation_filter_key`); 'valid' is used when files have it. */
  validationFilterKey: string | null;
  normalizeWeightsBySize: boolean;
  batchSize: number;
  epochs: number;
  /** `experiment.epoch_every_n_steps`; null = one pass over the data (drop_last), as robomimic. */
  stepsPerEpoch: number | null;
  validationSteps: number | null;
  seed: number;
  optimizer: AdamConfig;
  learningRate: number;
  schedule: LrSchedule;
  /** `experiment.save.every_n_epochs` (null = only at the end). */
  saveEveryEpochs: number | null;
}

type Json = Record<string, unknown>;

/**
 * Returns the training settings of `json` (the parsed robomimic config) with `overrides` applied.
 * Throws `InputError` (`config/invalid`) naming the JSON path of the first unusable value.
 */
export function validateTrainConfig(json: unknown, file: string, overrides: TrainOverrides = {}): TrainConfig {
  const at = (path: string, what: string): never => {
    throw new InputError('config/invalid', file, `"${path}" ${what}`);
  };
  const obj = (value: unknown, path: string): Json =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : at(path, 'must be a JSON object.');
  const int = (value: unknown, path: string, min: number): number =>
    typeof value === 'number' && Number.isInteger(value) && value >= min ? value : at(path, `must be an integer >= ${min}, not ${JSON.stringify(value)}.`);
  const num = (value: unknown, path: string): number => (typeof value === 'number' && Number.isFinite(value) ? value : at(path, `must be a number, not ${JSON.stringify(value)}.`));
  const strings = (value: unknown, path: string): string[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : at(path, 'must be a list of strings.');
  const intOrNull = (value: unknown, path: string, min: number): number | null => (value === null || value === undefined ? null : int(value, path, min));

  const root = obj(json, '<root>');
  const train = obj(root.train, 'train');
  const experiment = obj(root.experiment ?? {}, 'experiment');
  const algo = obj(root.algo, 'algo');
  const horizon = obj(algo.horizon, 'algo.horizon');
  const modalities = obj(obj(obj(root.observation, 'observation').modalities, 'observation.modalities').obs, 'observation.modalities.obs');
  for (const unsupported of ['depth', 'scan']) {
    if (Array.isArray(modalities[unsupported]) && (modalities[unsupported] as unknown[]).length > 0) {
      at(`observation.modalities.obs.${unsupported}`, 'is not empty; only rgb and low_dim observations are supported.');
    }
  }
  if (train.hdf5_normalize_obs === true) at('train.hdf5_normalize_obs', 'is true; observation normalisation is not supported (robomimic diffusion-policy configs leave it false).');
  if (train.goal_mode !== null && train.goal_mode !== undefined) at('train.goal_mode', 'must be null; goal-conditioned training is not supported.');

  const obsKeys: ObsKeySpec[] = [
    ...strings(modalities.low_dim ?? [], 'observation.modalities.obs.low_dim').map((name) => ({ name, kind: 'low_dim' as const })),
    ...strings(modalities.rgb ?? [], 'observation.modalities.obs.rgb').map((name) => ({ name, kind: 'rgb' as const })),
  ];
  const actionKeys = strings(train.action_keys ?? ['actions'], 'train.action_keys');
  const actionConfig = obj(train.action_config ?? {}, 'train.action_config');
  const actionNormalization: Record<string, ActionNormalization> = {};
  for (const key of actionKeys) {
    const method = (actionConfig[key] as Json | undefined)?.normalization ?? null;
    if (method !== null && method !== 'min_max' && method !== 'gaussian') {
      at(`train.action_config.${key}.normalization`, `is ${JSON.stringify(method)}; expected null, "min_max" or "gaussian".`);
    }
    actionNormalization[key] = method === null ? 'none' : (method as ActionNormalization);
  }
  const frameStack = int(train.frame_stack ?? 1, 'train.frame_stack', 1);
  const seqLength = int(train.seq_length ?? 1, 'train.seq_length', 1);
  const dataSpec: DataSpec = {
    obsKeys,
    actionKeys,
    actionNormalization,
    frameStack,
    seqLength,
    padFrameStack: train.pad_frame_stack !== false,
    padSeqLength: train.pad_seq_length !== false,
    obsHorizon: int(horizon.observation_horizon, 'algo.horizon.observation_horizon', 1),
    predictionHorizon: int(horizon.prediction_horizon, 'algo.horizon.prediction_horizon', 1),
  };
  const window = frameStack - 1 + seqLength;
  if (dataSpec.obsHorizon > window || dataSpec.predictionHorizon > window) {
    at('train.seq_length', `gives windows of ${window} frames (frame_stack − 1 + seq_length), fewer than the horizons need (${dataSpec.obsHorizon} obs, ${dataSpec.predictionHorizon} actions).`);
  }

  const trainFilter = (train.hdf5_filter_key ?? null) as string | null;
  const sources: DataSource[] = overrides.data
    ? overrides.data.map((path) => ({ path, weight: 1, filterKey: trainFilter, demoLimit: null }))
    : dataSources(train.data, trainFilter, at, obj, num);
  if (sources.length === 0) at('train.data', 'lists no files; give some with --data FILE.hdf5.');

  const policy = obj(obj(algo.optim_params ?? {}, 'algo.optim_params').policy ?? {}, 'algo.optim_params.policy');
  const lr = obj(policy.learning_rate ?? {}, 'algo.optim_params.policy.learning_rate');
  const kind = policy.optimizer_type ?? 'adam';
  if (kind !== 'adam' && kind !== 'adamw') at('algo.optim_params.policy.optimizer_type', `is ${JSON.stringify(kind)}; robomimic supports "adam" and "adamw".`);
  const weightDecay = num(obj(policy.regularization ?? { L2: 0 }, 'algo.optim_params.policy.regularization').L2 ?? 0, 'algo.optim_params.policy.regularization.L2');

  const epochs = overrides.epochs ?? int(train.num_epochs ?? 1, 'train.num_epochs', 1);
  const stepsPerEpoch = overrides.stepsPerEpoch ?? intOrNull(experiment.epoch_every_n_steps, 'experiment.epoch_every_n_steps', 1);
  const save = obj(experiment.save ?? {}, 'experiment.save');
  return {
    dataSpec,
    sources,
    validationFilterKey: (train.hdf5_validation_filter_key ?? null) as string | null,
    normalizeWeightsBySize: train.normalize_weights_by_ds_size === true,
    batchSize: overrides.batchSize ?? int(train.batch_size ?? 100, 'train.batch_size', 1),
    epochs,
    stepsPerEpoch,
    validationSteps: intOrNull(experiment.validation_epoch_every_n_steps, 'experiment.validation_epoch_every_n_steps', 1),
    seed: overrides.seed ?? int(train.seed ?? 1, 'train.seed', 0),
    optimizer: { kind: kind as 'adam' | 'adamw', betas: [0.9, 0.999], eps: 1e-8, weightDecay },
    learningRate: num(lr.initial ?? 1e-4, 'algo.optim_params.policy.learning_rate.initial'),
    schedule: lrSchedule(lr, at, num, int),
    saveEveryEpochs: save.enabled === false ? null : intOrNull(save.every_n_epochs, 'experiment.save.every_n_epochs', 1),
  };
}

function dataSources(
  data: unknown,
  filterKey: string | null,
  at: (path: string, what: string) => never,
  obj: (value: unknown, path: string) => Json,
  num: (value: unknown, path: string) => number,
): DataSource[] {
  if (typeof data === 'string') return [{ path: data, weight: 1, filterKey, demoLimit: null }];
  if (!Array.isArray(data)) return at('train.data', 'must be a path or a list of {"path": ...} objects.');
  return data.map((entry, i) => {
    const e = obj(entry, `train.data[${i}]`);
    if (typeof e.path !== 'string') at(`train.data[${i}].path`, 'must be a string.');
    return {
      path: e.path as string,
      weight: e.weight === undefined ? 1 : num(e.weight, `train.data[${i}].weight`),
      filterKey: (e.filter_key ?? filterKey) as string | null,
      demoLimit: e.demo_limit === undefined || e.demo_limit === null ? null : num(e.demo_limit, `train.data[${i}].demo_limit`),
    };
  });
}

/** robomimic's scheduler choice; the cosine length is fixed later from the run's real step count. */
function lrSchedule(lr: Json, at: (path: string, what: string) => never, num: (v: unknown, p: string) => number, int: (v: unknown, p: string, min: number) => number): LrSchedule {
  const base = 'algo.optim_params.policy.learning_rate';
  const type = lr.scheduler_type ?? 'multistep';
  const epochSchedule = Array.isArray(lr.epoch_schedule) ? (lr.epoch_schedule as unknown[]).map((v, i) => int(v, `${base}.epoch_schedule[${i}]`, 0)) : [];
  const decay = num(lr.decay_factor ?? 0.1, `${base}.decay_factor`);
  if (type === 'cosine') {
    if (lr.step_every_batch !== true) at(`${base}.step_every_batch`, 'must be true for the cosine schedule (robomimic asserts it).');
    return { kind: 'cosine', warmupSteps: int(lr.warmup_steps ?? 0, `${base}.warmup_steps`, 0), trainingSteps: 0, numCycles: num(lr.num_cycles ?? 0.5, `${base}.num_cycles`) };
  }
  if (type === 'linear') {
    if (epochSchedule.length === 0) return { kind: 'constant' };
    if (epochSchedule.length !== 1) at(`${base}.epoch_schedule`, 'must hold one epoch (the end of the decay) for the linear schedule.');
    return { kind: 'linear', endFactor: decay, totalIters: epochSchedule[0]! };
  }
  if (type === 'multistep') return epochSchedule.length === 0 ? { kind: 'constant' } : { kind: 'multistep', milestones: epochSchedule, gamma: decay };
  return at(`${base}.scheduler_type`, `is ${JSON.stringify(type)}; expected "multistep", "linear" or "cosine".`);
}

/** Returns the config as this run used it (robomimic saves `config.json` next to its checkpoints, and in them). */
export function effectiveConfig(json: unknown, train: TrainConfig, sources: DataSource[]): Record<string, unknown> {
  const copy = structuredClone(json) as Record<string, Record<string, unknown>>;
  copy.train = { ...copy.train, data: sources.map((s) => ({ path: s.path, weight: s.weight, ...(s.filterKey ? { filter_key: s.filterKey } : {}) })), num_epochs: train.epochs, batch_size: train.batchSize, seed: train.seed };
  copy.experiment = { ...(copy.experiment ?? {}), epoch_every_n_steps: train.stepsPerEpoch };
  return copy;
}

