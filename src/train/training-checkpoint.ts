/**
 * The checkpoint `surgery train` writes, in robomimic's own layout (`TrainUtils.save_model`):
 * `model` {nets, optimizers, lr_schedulers, ema}, `config`, `algo_name`, `env_metadata`,
 * `shape_metadata`, `variable_state`, `action_normalization_stats`. Optimizer and scheduler state
 * are torch 1.13's `state_dict()` layouts, so robomimic's own `--resume` could load them too; what
 * robomimic does not record (global step, EMA step count, random generator, remap hints) lives in
 * `variable_state["surgery"]`. `trainingCheckpoint` builds the record from the trainer's state and
 * `checkpointTree` lays it out; `save-training-checkpoint.ts` only writes it.
 */
import type { NormalizationStats } from '../data/action-stats.ts';
import { pyDict, pyFloat, pyTuple } from '../checkpoint/py-value.ts';
import { tensorFromArray } from '../checkpoint/tensor-from-array.ts';
import type { PyDict, PyValue, Tensor } from '../checkpoint/types.ts';
import type { RobomimicMetadata } from '../model/robomimic-metadata.ts';
import type { AdamConfig } from './adam.ts';
import { lrFactor, type LrSchedule } from './lr-schedule.ts';
import type { TrainHint } from './param-groups.ts';
import type { DataSource } from '../data/data-spec.ts';
import type { SequenceDataset } from '../data/sequence-dataset.ts';
import { stateDictFromWeights } from '../model/weights.ts';
import { tfToTorch } from '../model/layout.ts';
import { robomimicMetadata } from '../model/robomimic-metadata.ts';
import { effectiveConfig, type TrainConfig } from './train-config.ts';
import type { TrainerState } from './train-step.ts';

/** A tensor in PyTorch layout (what the model's state-dict conversion produces). */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface OptimizerSlotSnapshot {
  step: number;
  expAvg: HostTensor;
  expAvgSq: HostTensor;
}

/** What the trainer keeps beyond robomimic's fields, so a resumed run continues exactly. */
export interface SurgeryTrainState {
  /** Optimizer steps done. */
  step: number;
  /** diffusers `EMAModel.optimization_step` (robomimic does not save it). */
  emaOptimizationStep: number;
  /** The trainer's random generator state (`Rng.state()`). */
  rng: number[];
  hints: TrainHint[];
  /** Steps per epoch the schedule was built for (the cosine length depends on it). */
  stepsPerEpoch: number;
}

export interface TrainingCheckpoint {
  /** `config`, `algo_name` and `shape_metadata`, from the policy config the run trains. */
  metadata: RobomimicMetadata;
  envMetadata: Record<string, unknown>;
  actionNormalization: Map<string, NormalizationStats>;
  /** State dicts in state-dict order; aliased keys hold the same `HostTensor` object. */
  nets: Map<string, HostTensor>;
  ema: Map<string, HostTensor> | null;
  /** `_metadata` of the state dicts (module prefix → {version}), when the model provides it. */
  stateDictMetadata?: PyValue;
  optimizer: { config: AdamConfig; baseLr: number; slots: (OptimizerSlotSnapshot | null)[] };
  /** null when the config has no scheduler (robomimic stores None). */
  scheduler: { schedule: LrSchedule; lastEpoch: number } | null;
  epoch: number;
  bestValidLoss: number | null;
  surgery: SurgeryTrainState;
}

/** Returns the checkpoint as a Python value tree for the checkpoint writer. */
export function checkpointTree(c: TrainingCheckpoint): PyValue {
  const model = pyDict(
    [
      ['nets', stateDict(c.nets, c.stateDictMetadata)],
      ['optimizers', pyDict([['policy', optimizerState(c)]], { ordered: false })],
      ['lr_schedulers', pyDict([['policy', schedulerState(c)]], { ordered: false })],
      ['ema', c.ema ? stateDict(c.ema, c.stateDictMetadata) : null],
    ],
    { ordered: false },
  );
  const s = c.surgery;
  return pyDict(
    [
      ['model', model],
      ['config', c.metadata.config],
      ['algo_name', c.metadata.algoName],
      ['env_metadata', jsonToPy(c.envMetadata)],
      ['shape_metadata', c.metadata.shapeMetadata],
      [
        'variable_state',
        pyDict(
          [
            ['epoch', c.epoch],
            ['best_valid_loss', c.bestValidLoss === null ? null : pyFloat(c.bestValidLoss)],
            ['best_return', null],
            ['best_success_rate', null],
            [
              'surgery',
              pyDict(
                [
                  ['step', s.step],
                  ['ema_optimization_step', s.emaOptimizationStep],
                  ['rng', [...s.rng]],
                  ['hints', s.hints.map((h) => pyDict(Object.entries(h).map(([k, v]): [string, PyValue] => [k, typeof v === 'number' && k === 'factor' ? pyFloat(v) : v]), { ordered: false }))],
                  ['steps_per_epoch', s.stepsPerEpoch],
                ],
                { ordered: false },
              ),
            ],
          ],
          { ordered: false },
        ),
      ],
      [
        'action_normalization_stats',
        pyDict(
          [...c.actionNormalization].map(([key, stats]): [string, PyValue] => [
            key,
            pyDict(
              [
                ['scale', [Array.from(stats.scale, pyFloat)]],
                ['offset', [Array.from(stats.offset, pyFloat)]],
              ],
              { ordered: false },
            ),
          ]),
        ),
      ],
    ],
    { ordered: false },
  );
}

/** An OrderedDict of tensors; aliased keys (same HostTensor) share one storage, as torch saves them. */
function stateDict(tensors: Map<string, HostTensor>, metadata: PyValue | undefined): PyDict {
  const made = new Map<HostTensor, Tensor>();
  const entries: [string, PyValue][] = [];
  for (const [key, host] of tensors) {
    let tensor = made.get(host);
    if (!tensor) {
      tensor = tensorFromArray(host.data, host.shape, 'float32');
      made.set(host, tensor);
    }
    entries.push([key, tensor]);
  }
  return pyDict(entries, metadata === undefined ? {} : { metadata });
}

/** torch 1.13 `Adam`/`AdamW.state_dict()`: per-index state and one param group. */
function optimizerState(c: TrainingCheckpoint): PyDict {
  const { config, baseLr, slots } = c.optimizer;
  const state = pyDict([], { ordered: false });
  slots.forEach((slot, i) => {
    if (!slot) return;
    state.entries.set(
      i,
      pyDict(
        [
          ['step', tensorFromArray(Float32Array.of(slot.step), [], 'float32')],
          ['exp_avg', tensorFromArray(slot.expAvg.data, slot.expAvg.shape, 'float32')],
          ['exp_avg_sq', tensorFromArray(slot.expAvgSq.data, slot.expAvgSq.shape, 'float32')],
        ],
        { ordered: false },
      ),
    );
  });
  const lr = c.scheduler ? baseLr * lrFactor(c.scheduler.schedule, c.scheduler.lastEpoch) : baseLr;
  const group: [string, PyValue][] = [
    ['lr', pyFloat(lr)],
    ['betas', pyTuple(config.betas.map(pyFloat))],
    ['eps', pyFloat(config.eps)],
    ['weight_decay', pyFloat(config.weightDecay)],
    ['amsgrad', false],
  ];
  // Key order of torch 1.13's defaults dicts, which differ between the two classes.
  if (config.kind === 'adam') group.push(['maximize', false], ['foreach', null], ['capturable', false], ['differentiable', false], ['fused', false]);
  else group.push(['foreach', null], ['maximize', false], ['capturable', false]);
  if (c.scheduler) group.push(['initial_lr', pyFloat(baseLr)]);
  group.push(['params', slots.map((_, i) => i)]);
  return pyDict([['state', state], ['param_groups', [pyDict(group, { ordered: false })]]], { ordered: false });
}

/** torch's `LambdaLR`/`LinearLR`/`MultiStepLR.state_dict()`, or None without a scheduler. */
function schedulerState(c: TrainingCheckpoint): PyValue {
  if (!c.scheduler || c.scheduler.schedule.kind === 'constant') return null;
  const { schedule, lastEpoch } = c.scheduler;
  const base = c.optimizer.baseLr;
  const common: [string, PyValue][] = [
    ['base_lrs', [pyFloat(base)]],
    ['last_epoch', lastEpoch],
    ['verbose', false],
    ['_step_count', lastEpoch + 1],
    ['_get_lr_called_within_step', false],
    ['_last_lr', [pyFloat(base * lrFactor(schedule, lastEpoch))]],
  ];
  switch (schedule.kind) {
    case 'cosine':
      return pyDict([...common, ['lr_lambdas', [null]]], { ordered: false });
    case 'linear':
      return pyDict([['start_factor', pyFloat(1)], ['end_factor', pyFloat(schedule.endFactor)], ['total_iters', schedule.totalIters], ...common], { ordered: false });
    case 'multistep': {
      const counts = new Map<number, number>();
      for (const m of schedule.milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
      const counter: PyValue = { kind: 'opaque', module: 'collections', name: 'Counter', args: [pyDict([...counts], { ordered: false })] };
      return pyDict([['milestones', counter], ['gamma', pyFloat(schedule.gamma)], ...common], { ordered: false });
    }
  }
}

/** JSON values as Python values (integral numbers stay ints, as json.loads gives them). */
function jsonToPy(value: unknown): PyValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map(jsonToPy);
  return pyDict(Object.entries(value as Record<string, unknown>).map(([k, v]): [string, PyValue] => [k, jsonToPy(v)]), { ordered: false });
}

/** The trainer's state at the end of an epoch, with what a checkpoint records about the run. */
export interface CheckpointRequest {
  epoch: number;
  state: TrainerState;
  dataset: SequenceDataset;
  json: unknown;
  train: TrainConfig;
  sources: DataSource[];
  bestValidLoss: number | null;
  stepsPerEpoch: number;
  hints: TrainHint[];
}

/** Returns the checkpoint contents for the trainer's current state. */
export async function trainingCheckpoint(request: CheckpointRequest): Promise<TrainingCheckpoint> {
  const { state, dataset, train } = request;
  const { policy } = state;
  const trainable = policy.schema.params.filter((p) => p.trainable);
  const slots: (OptimizerSlotSnapshot | null)[] = await Promise.all(
    trainable.map(async (param) => {
      const slot = state.slots[param.id];
      if (!slot) return null;
      const host = async (v: typeof slot.expAvg) => ({ shape: [...param.shape], data: tfToTorch(param.kind, param.shape, new Float32Array(await v.data())) });
      return { step: slot.step, expAvg: await host(slot.expAvg), expAvgSq: await host(slot.expAvgSq) };
    }),
  );
  return {
    // The policy config was validated with the dataset's shapes, so its shape_metadata is the data's.
    metadata: robomimicMetadata(policy.config, JSON.stringify(effectiveConfig(request.json, train, request.sources))),
    envMetadata: dataset.files[0]!.envMetadata,
    actionNormalization: dataset.actionNormalization,
    nets: await stateDictFromWeights(policy.schema, policy.nets),
    ema: policy.ema ? await stateDictFromWeights(policy.schema, policy.ema) : null,
    optimizer: { config: state.optimizer, baseLr: state.baseLr, slots },
    scheduler: state.schedule.kind === 'constant' ? null : { schedule: state.schedule, lastEpoch: state.schedulerEpoch },
    epoch: request.epoch,
    bestValidLoss: request.bestValidLoss,
    surgery: { step: state.step, emaOptimizationStep: state.emaOptimizationStep, rng: state.rng.state(), hints: request.hints, stepsPerEpoch: request.stepsPerEpoch },
  };
}
