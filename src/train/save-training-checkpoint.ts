/**
 * Writes the trainer's state as robomimic checkpoints: `model_epoch_<N>.pth` and `last.pth` (the
 * one `--resume` reads), each written atomically so a kill never leaves a half-written file.
 */
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import type { DataSource } from '../data/data-spec.ts';
import type { SequenceDataset } from '../data/sequence-dataset.ts';
import { stateDictFromWeights } from '../model/weights.ts';
import { tfToTorch } from '../model/layout.ts';
import { effectiveConfig, type TrainConfig } from './train-config.ts';
import { shapeMetadata } from '../data/shape-metadata.ts';
import type { TrainerState } from './train-step.ts';
import { checkpointTree, type OptimizerSlotSnapshot, type TrainingCheckpoint } from './training-checkpoint.ts';
import type { TrainHint } from './param-groups.ts';

export interface SaveRequest {
  out: string;
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

/**
 * Writes `last.pth` (atomically), then `model_epoch_<epoch>.pth` as its copy; returns the epoch
 * file's path. `last.pth` goes first so that whenever an epoch file exists, `--resume` finds a
 * checkpoint at least that recent.
 */
export async function saveTrainingCheckpoint(request: SaveRequest): Promise<string> {
  const tree = checkpointTree(await trainingCheckpoint(request));
  const last = join(request.out, 'last.pth');
  // Written under the final name's archive folder `model_epoch_<N>`, so both files are byte-identical.
  await writeCheckpoint(last, tree, { format: 'torch-zip', archiveName: `model_epoch_${request.epoch}` });
  const path = join(request.out, `model_epoch_${request.epoch}.pth`);
  const temp = join(request.out, `.model_epoch_${request.epoch}.pth.${process.pid}.tmp`);
  await copyFile(last, temp);
  await rename(temp, path);
  return path;
}

/** Returns the checkpoint contents for the trainer's current state. */
export async function trainingCheckpoint(request: SaveRequest): Promise<TrainingCheckpoint> {
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
  const shapes = shapeMetadata(dataset);
  return {
    configText: JSON.stringify(effectiveConfig(request.json, train, request.sources), null, 4),
    envMetadata: dataset.files[0]!.envMetadata,
    // Upstream v0.5 also records use_depths; the fork does not.
    shapeMetadata: { ...shapes, useDepths: policy.config.code === 'upstream' ? false : null },
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
