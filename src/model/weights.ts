/**
 * Policy weights in tfjs: one `tf.Variable` per distinct tensor of the schema (aliased state-dict
 * keys share it), converted to and from PyTorch state dicts through `layout.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { numelOf } from '../checkpoint/py-value.ts';
import type { PolicySchema, ParamSpec } from './schema.ts';
import { tfShape, tfToTorch, torchToTf } from './layout.ts';
import { invariant } from '../invariant.ts';
import { formatShape } from '../plan/model-schema.ts';

/** One weight set (`model.nets` or `model.ema`): `tensors[param.id]`, in tfjs layout. */
export interface PolicyWeights {
  tensors: tf.Variable[];
}

/** A state-dict tensor in PyTorch layout. */
export interface TorchTensor {
  shape: number[];
  data: Float32Array;
}

/** How many state-dict problems an error message lists before saying how many more there are. */
export const MAX_LISTED_PROBLEMS = 8;

/** A state-dict problem found while matching tensors to the schema. */
export interface StateDictProblem {
  code: 'load/missing-key' | 'load/unexpected-key' | 'load/size-mismatch';
  key: string;
  message: string;
}

/**
 * Returns the problems (missing, unexpected, wrong-shaped keys) of loading a state dict with these
 * key shapes into the schema, as torch's strict `load_state_dict` would report them.
 */
export function checkStateDictShapes(schema: PolicySchema, shapes: Map<string, number[]>): StateDictProblem[] {
  const problems: StateDictProblem[] = [];
  for (const { key, param } of schema.entries) {
    const shape = shapes.get(key);
    if (!shape) problems.push({ code: 'load/missing-key', key, message: `"${key}" is missing; the model needs ${formatShape(param.shape)}.` });
    else if (formatShape(shape) !== formatShape(param.shape)) {
      problems.push({ code: 'load/size-mismatch', key, message: `"${key}" has shape ${formatShape(shape)}, but the model needs ${formatShape(param.shape)}.` });
    }
  }
  for (const key of shapes.keys()) {
    if (!schema.byKey.has(key)) problems.push({ code: 'load/unexpected-key', key, message: `"${key}" is not a key of this model.` });
  }
  return problems;
}

/**
 * Returns weights holding `values(param)` (PyTorch layout) for every parameter.
 * @param trainable whether the trainable parameters become trainable variables (false for EMA).
 */
export function createWeights(schema: PolicySchema, values: (param: ParamSpec) => Float32Array, trainable: boolean): PolicyWeights {
  const tensors = schema.params.map((param) => {
    const data = values(param);
    invariant(data.length === numelOf(param.shape), `value of ${param.keys[0]} has ${data.length} elements`);
    const t = tf.tensor(torchToTf(param.kind, param.shape, data), tfShape(param.kind, param.shape), 'float32');
    const v = tf.variable(t, trainable && param.trainable);
    t.dispose();
    return v;
  });
  return { tensors };
}

/**
 * Returns weights from a state dict already checked with `checkStateDictShapes`. Of aliased keys
 * the last one in state-dict order wins, as in torch's `load_state_dict`.
 */
export function weightsFromStateDict(schema: PolicySchema, tensors: Map<string, TorchTensor>, trainable: boolean): PolicyWeights {
  return createWeights(
    schema,
    (param) => {
      const t = tensors.get(param.keys[param.keys.length - 1]!);
      invariant(t, `state dict lacks ${param.keys[0]} (check shapes first)`);
      return t.data;
    },
    trainable,
  );
}

/** Returns the state dict of these weights in PyTorch layout; aliased keys share one `TorchTensor`. */
export async function stateDictFromWeights(schema: PolicySchema, weights: PolicyWeights): Promise<Map<string, TorchTensor>> {
  const perParam = await Promise.all(
    schema.params.map(async (param) => {
      const data = (await weights.tensors[param.id]!.data()) as Float32Array;
      return { shape: [...param.shape], data: tfToTorch(param.kind, param.shape, new Float32Array(data)) };
    }),
  );
  return new Map(schema.entries.map(({ key, param }) => [key, perParam[param.id]!]));
}

/** Frees the variables. */
export function disposeWeights(weights: PolicyWeights): void {
  for (const v of weights.tensors) v.dispose();
}

