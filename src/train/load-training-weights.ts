/**
 * Where a run's weights come from: a checkpoint being resumed (`--resume`: nets, EMA, optimizer
 * and scheduler state, trainer state), a checkpoint to start from (`--init`, checked strictly or
 * loosely), or fresh PyTorch-default initialisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../input-error.ts';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { getAtPath, isDict, isTensor } from '../checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../checkpoint/read-tensor.ts';
import type { Checkpoint, PyValue, Tensor } from '../checkpoint/types.ts';
import type { PolicySchema } from '../model/schema.ts';
import { checkStateDictShapes, createWeights, MAX_LISTED_PROBLEMS, weightsFromStateDict, type PolicyWeights, type StateDictProblem, type TorchTensor } from '../model/weights.ts';
import { tfShape, torchToTf } from '../model/layout.ts';
import type { AdamSlot } from './adam.ts';
import type { TrainHint } from './param-groups.ts';

/** Returns a state dict's tensors as float32 host arrays (PyTorch layout), keyed by state-dict key. */
export async function readStateDict(checkpoint: Checkpoint, path: string[]): Promise<Map<string, TorchTensor> | null> {
  const node = getAtPath(checkpoint.root, path);
  if (!isDict(node)) return null;
  const out = new Map<string, TorchTensor>();
  const cache = new Map<Tensor['storage'], Map<number, TorchTensor>>();
  for (const [key, value] of node.entries) {
    if (typeof key !== 'string' || !isTensor(value)) continue;
    // Aliased keys share a storage: read it once.
    const seen = cache.get(value.storage)?.get(value.storageOffset);
    const host = seen ?? { shape: [...value.shape], data: await readTensorAsFloat32(value) };
    if (!seen) cache.set(value.storage, (cache.get(value.storage) ?? new Map()).set(value.storageOffset, host));
    out.set(key, host);
  }
  return out;
}

/** The shapes of a state dict, for `configWithWidthsFrom` and load checks. */
export function shapesOf(stateDict: Map<string, TorchTensor>): Map<string, number[]> {
  return new Map([...stateDict].map(([k, t]) => [k, t.shape]));
}

/**
 * Returns weights for `schema` from `stateDict`: strict loading refuses any missing, unexpected
 * or mis-shaped key; loose loading keeps `fallback` values for missing keys and ignores unexpected
 * ones (torch `strict=False`), but mis-shaped keys are still errors, as in torch.
 */
export function loadChecked(
  schema: PolicySchema,
  stateDict: Map<string, TorchTensor>,
  mode: 'strict' | 'loose',
  /** Called only when some key is missing (fresh values are costly for full-size models). */
  fallback: () => (param: PolicySchema['params'][number]) => Float32Array,
  trainable: boolean,
  file: string,
): { weights: PolicyWeights; report: StateDictProblem[] } {
  const report = checkStateDictShapes(schema, shapesOf(stateDict));
  const fatal = report.filter((p) => mode === 'strict' || p.code === 'load/size-mismatch');
  if (fatal.length) {
    const shown = fatal.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  ${p.code}: ${p.message}`).join('\n');
    throw new InputError('load/failed', file, `cannot be loaded ${mode === 'strict' ? 'strictly' : 'even loosely'} into the model of this config (${fatal.length} problems):\n${shown}${fatal.length > MAX_LISTED_PROBLEMS ? '\n  ...' : ''}\nUse --load loose to keep fresh values for missing keys, or check the config.`);
  }
  if (report.length === 0) return { weights: weightsFromStateDict(schema, stateDict, trainable), report };
  const fresh = fallback();
  const weights = createWeights(
    schema,
    (param) => {
      const key = [...param.keys].reverse().find((k) => stateDict.has(k));
      return key ? stateDict.get(key)!.data : fresh(param);
    },
    trainable,
  );
  return { weights, report };
}

/** What a checkpoint written by `surgery train` holds for `--resume`. */
export interface ResumeState {
  nets: Map<string, TorchTensor>;
  ema: Map<string, TorchTensor> | null;
  /** Optimizer state per optimizer index (trainable parameters in order). */
  optimizerSlots: Map<number, { step: number; expAvg: TorchTensor; expAvgSq: TorchTensor }>;
  schedulerEpoch: number;
  epoch: number;
  bestValidLoss: number | null;
  step: number;
  emaOptimizationStep: number;
  rng: number[];
  hints: TrainHint[];
  stepsPerEpoch: number;
}

/** Returns the resume state of `path`, or throws naming what is missing (e.g. a robomimic-only checkpoint). */
export async function readResumeState(path: string): Promise<ResumeState> {
  const checkpoint = await openCheckpoint(path);
  const fail = (what: string): never => {
    throw new InputError('train/not-resumable', path, `${what}; --resume needs a checkpoint written by surgery train (its "last.pth").`);
  };
  const nets = (await readStateDict(checkpoint, ['model', 'nets'])) ?? fail('has no model.nets');
  const ema = await readStateDict(checkpoint, ['model', 'ema']);
  const surgery = getAtPath(checkpoint.root, ['variable_state', 'surgery']);
  if (!isDict(surgery)) return fail('has no variable_state.surgery');
  const num = (node: PyValue | undefined, what: string): number => {
    const value = typeof node === 'object' && node !== null && 'kind' in node && node.kind === 'float' ? node.value : node;
    return typeof value === 'number' ? value : fail(`has no number at ${what}`);
  };
  const optimizerSlots = new Map<number, { step: number; expAvg: TorchTensor; expAvgSq: TorchTensor }>();
  const state = getAtPath(checkpoint.root, ['model', 'optimizers', 'policy', 'state']);
  if (!isDict(state)) fail('has no model.optimizers.policy.state');
  for (const [index, slot] of (state as { entries: Map<unknown, PyValue> }).entries) {
    const get = (name: string) => {
      const t = isDict(slot) ? slot.entries.get(name) : undefined;
      return isTensor(t) ? t : fail(`has no optimizer ${name} for parameter ${String(index)}`);
    };
    const step = (await readTensorAsFloat32(get('step')))[0]!;
    const host = async (t: Tensor): Promise<TorchTensor> => ({ shape: [...t.shape], data: await readTensorAsFloat32(t) });
    optimizerSlots.set(Number(index), { step, expAvg: await host(get('exp_avg')), expAvgSq: await host(get('exp_avg_sq')) });
  }
  const scheduler = getAtPath(checkpoint.root, ['model', 'lr_schedulers', 'policy']);
  const hintsNode = surgery.entries.get('hints');
  const hints: TrainHint[] = Array.isArray(hintsNode)
    ? hintsNode.map((h) => {
        const d = isDict(h) ? h.entries : new Map();
        const pattern = String(d.get('pattern'));
        return d.get('kind') === 'lr' ? { kind: 'lr', pattern, factor: num(d.get('factor'), 'hints.factor') } : { kind: 'freeze', pattern, steps: d.get('steps') === null ? null : num(d.get('steps'), 'hints.steps') };
      })
    : [];
  const rng = surgery.entries.get('rng');
  const bestValid = getAtPath(checkpoint.root, ['variable_state', 'best_valid_loss']);
  return {
    nets,
    ema,
    optimizerSlots,
    schedulerEpoch: isDict(scheduler) ? num(scheduler.entries.get('last_epoch'), 'lr_schedulers.policy.last_epoch') : 0,
    epoch: num(getAtPath(checkpoint.root, ['variable_state', 'epoch']), 'variable_state.epoch'),
    bestValidLoss: bestValid === null || bestValid === undefined ? null : num(bestValid, 'variable_state.best_valid_loss'),
    step: num(surgery.entries.get('step'), 'variable_state.surgery.step'),
    emaOptimizationStep: num(surgery.entries.get('ema_optimization_step'), 'variable_state.surgery.ema_optimization_step'),
    rng: Array.isArray(rng) ? rng.map((w) => num(w, 'variable_state.surgery.rng')) : fail('has no variable_state.surgery.rng'),
    hints,
    stepsPerEpoch: num(surgery.entries.get('steps_per_epoch'), 'variable_state.surgery.steps_per_epoch'),
  };
}

/** Returns an Adam slot holding host optimizer state (PyTorch layout) converted to the parameter's tfjs layout. */
export function slotFromHost(param: PolicySchema['params'][number], host: { step: number; expAvg: TorchTensor; expAvgSq: TorchTensor }): AdamSlot {
  const variable = (t: TorchTensor) => {
    const init = tf.tensor(torchToTf(param.kind, param.shape, t.data), tfShape(param.kind, param.shape), 'float32');
    const v = tf.variable(init, false);
    init.dispose();
    return v;
  };
  return { step: host.step, expAvg: variable(host.expAvg), expAvgSq: variable(host.expAvgSq) };
}
