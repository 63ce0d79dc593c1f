/**
 * `surgery predict`: actions for an observation batch with a checkpoint's EMA weights, exactly as
 * robomimic's `_get_action_trajectory` computes them, with reproducible noise.
 */
import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { getAtPath, isDict, isTensor, pyDict } from '../checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../checkpoint/read-tensor.ts';
import { tensorFromArray } from '../checkpoint/tensor-from-array.ts';
import type { Checkpoint, PyValue } from '../checkpoint/types.ts';
import { writeTextAtomically } from '../checkpoint/write-atomically.ts';
import { formatForPath, writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import { InputError } from '../input-error.ts';
import { createRng } from '../random/rng.ts';
import { selectBackend, type BackendChoice } from './backend.ts';
import { loadPolicy } from './load-policy.ts';
import { obsBatchFromRaw, type RawObs } from './obs-batch.ts';
import { disposePolicy, inferenceWeights, type Policy } from './policy.ts';
import { sampleActions } from './sample-actions.ts';
import { inferenceTimesteps } from './scheduler.ts';

export interface PredictOptions {
  checkpoint: string;
  obs: string;
  noise?: string;
  out?: string;
  seed: number;
  backend: BackendChoice;
}

/** Row-major values with their shape. */
export interface Array3 {
  shape: number[];
  data: Float32Array;
}

export interface Prediction {
  /** `[B, Tp, ac]`, normalised. */
  trajectory: Array3;
  /** `[B, Ta, ac]`, normalised: the steps robomimic executes. */
  actions: Array3;
  /** `[B, Ta, ac]` mapped back with the checkpoint's `action_normalization_stats`. */
  actionsUnnormalized: Array3;
  backendNote: string;
}

/** Returns the prediction, after writing it to `options.out` when given (.pth or .json). */
export async function predict(options: PredictOptions): Promise<Prediction> {
  const backend = await selectBackend(options.backend);
  const { policy, checkpoint } = await loadPolicy(options.checkpoint);
  try {
    const obsFile = await openCheckpoint(options.obs);
    const raw = await readTensorDict(obsFile, 'obs');
    const obs = obsBatchFromRaw(policy.config, raw, options.obs);
    const batch = [...obs.values()][0]!.shape[0]!;
    const noise = options.noise ? await readNoise(policy, options.noise, batch) : drawNoise(policy, batch, options.seed);
    const { trajectory, actions } = await sampleActions(policy, inferenceWeights(policy), obs, noise);
    const result = { trajectory: await toArray(trajectory), actions: await toArray(actions) };
    tf.dispose([trajectory, actions]);
    tf.dispose([...obs.values(), noise.initialNoise, ...(noise.perStepVarianceNoise ? [noise.perStepVarianceNoise] : [])]);
    const prediction: Prediction = { ...result, actionsUnnormalized: unnormalize(policy, checkpoint, result.actions), backendNote: backend.note };
    if (options.out) await writePrediction(options.out, prediction, [options.checkpoint, options.obs, ...(options.noise ? [options.noise] : [])]);
    return prediction;
  } finally {
    disposePolicy(policy);
  }
}

async function toArray(t: tf.Tensor): Promise<Array3> {
  return { shape: [...t.shape], data: new Float32Array((await t.data()) as Float32Array) };
}

/** Returns every tensor of a dict file (the root, or the root's `nested` dict when present). */
export async function readTensorDict(file: Checkpoint, nested: string): Promise<Map<string, RawObs>> {
  const inner = getAtPath(file.root, [nested]);
  const dict = isDict(inner) ? inner : file.root;
  if (!isDict(dict)) throw new InputError('obs/not-a-dict', file.path, 'must hold a dict of observation key → tensor.');
  const out = new Map<string, RawObs>();
  for (const [key, value] of dict.entries) {
    if (typeof key === 'string' && isTensor(value)) out.set(key, { shape: value.shape, data: await readTensorAsFloat32(value), dtype: value.storage.dtype });
  }
  return out;
}

async function readNoise(policy: Policy, path: string, batch: number): Promise<{ initialNoise: tf.Tensor3D; perStepVarianceNoise?: tf.Tensor4D }> {
  const file = await openCheckpoint(path);
  const { horizon, acDim, scheduler } = policy.config;
  const want = [batch, horizon.prediction, acDim];
  const read = async (key: string, shape: number[]): Promise<tf.Tensor> => {
    const t = getAtPath(file.root, [key]);
    if (!isTensor(t)) throw new InputError('noise/missing-key', path, `has no "${key}" tensor; it needs shape [${shape.join(', ')}].`, { member: key });
    if (t.shape.join(',') !== shape.join(',')) {
      throw new InputError('noise/bad-shape', path, `"${key}" has shape [${t.shape.join(', ')}], but this policy and batch need [${shape.join(', ')}].`, { member: key });
    }
    return tf.tensor(await readTensorAsFloat32(t), shape, 'float32');
  };
  const initialNoise = (await read('initial_noise', want)) as tf.Tensor3D;
  if (scheduler.kind !== 'ddpm') return { initialNoise };
  const steps = inferenceTimesteps(scheduler).filter((t) => t > 0).length;
  return { initialNoise, perStepVarianceNoise: (await read('per_step_variance_noise', [steps, ...want])) as tf.Tensor4D };
}

function drawNoise(policy: Policy, batch: number, seed: number): { initialNoise: tf.Tensor3D; perStepVarianceNoise?: tf.Tensor4D } {
  const rng = createRng(seed);
  const { horizon, acDim, scheduler } = policy.config;
  const shape: [number, number, number] = [batch, horizon.prediction, acDim];
  const n = shape[0] * shape[1] * shape[2];
  const initialNoise = tf.tensor3d(rng.normal(n), shape);
  if (scheduler.kind !== 'ddpm') return { initialNoise };
  const steps = inferenceTimesteps(scheduler).filter((t) => t > 0).length;
  return { initialNoise, perStepVarianceNoise: tf.tensor4d(rng.normal(steps * n), [steps, ...shape]) };
}

/** robomimic `unnormalize_dict`: per action key, `raw = scale · a + offset`, keys in `action_keys` order. */
function unnormalize(policy: Policy, checkpoint: Checkpoint, actions: Array3): Array3 {
  const { actionKeys, actionDims, acDim } = policy.config;
  const scale = new Float32Array(acDim).fill(1);
  const offset = new Float32Array(acDim);
  let at = 0;
  actionKeys.forEach((key, i) => {
    const stats = getAtPath(checkpoint.root, ['action_normalization_stats', key]);
    if (isDict(stats)) {
      const s = flatNumbers(stats.entries.get('scale'));
      const o = flatNumbers(stats.entries.get('offset'));
      if (s.length !== actionDims[i] || o.length !== actionDims[i]) {
        throw new InputError('predict/bad-action-stats', checkpoint.path, `action_normalization_stats "${key}" does not have ${actionDims[i]} scale and offset values.`);
      }
      scale.set(s, at);
      offset.set(o, at);
    }
    at += actionDims[i]!;
  });
  const data = actions.data.map((a, i) => Math.fround(Math.fround(a * scale[i % acDim]!) + offset[i % acDim]!));
  return { shape: [...actions.shape], data };
}

function flatNumbers(value: PyValue | undefined): number[] {
  if (Array.isArray(value)) return value.flatMap((v) => flatNumbers(v));
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object' && 'kind' in value && value.kind === 'float') return [value.value];
  return [];
}

/** Writes `p` to `path` (JSON or a checkpoint), refusing to replace any of `inputs`: the tensors live in memory, so the writer knows no input of its own. */
async function writePrediction(path: string, p: Prediction, inputs: string[]): Promise<void> {
  const fields: [string, Array3][] = [
    ['trajectory', p.trajectory],
    ['actions', p.actions],
    ['actions_unnormalized', p.actionsUnnormalized],
  ];
  if (extname(path) === '.json') {
    const nest = (a: Array3): unknown => nested(Array.from(a.data), a.shape);
    await writeTextAtomically(path, `${JSON.stringify(Object.fromEntries(fields.map(([k, a]) => [k, nest(a)])))}\n`, inputs);
    return;
  }
  const root = pyDict(fields.map(([k, a]): [string, PyValue] => [k, tensorFromArray(a.data, a.shape, 'float32')]), { ordered: false });
  await writeCheckpoint(path, root, { format: formatForPath(path), inputs });
}

function nested(values: number[], shape: number[]): unknown {
  if (shape.length <= 1) return values;
  const step = values.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nested(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}
