/**
 * Writes the trainer's state as robomimic checkpoints: `model_epoch_<N>.pth` and `last.pth` (the
 * one `--resume` reads), each written atomically so a kill never leaves a half-written file.
 */
import { copyFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import { checkpointTree, trainingCheckpoint, type CheckpointRequest } from './training-checkpoint.ts';

/** What `saveTrainingCheckpoint` writes, and the run folder it writes to. */
export interface SaveRequest extends CheckpointRequest {
  out: string;
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
