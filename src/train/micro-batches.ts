/**
 * Splitting one training batch into micro-batches (gradient accumulation): the batch's rows (its
 * images already through the randomizers) and its noise draws, cut into consecutive element ranges.
 * The draws are made once, for the whole batch and in the usual order, so a run with micro-batches
 * sees the same noise, timesteps, crops and colour jitter as a run without.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/read-batch.ts';
import type { LossDraws } from '../model/loss.ts';
import { invariant } from '../invariant.ts';

/** Batch elements `[start, end)`, and the share of the batch's mean loss they carry. */
export interface MicroBatch {
  start: number;
  end: number;
  /** `(end − start) / B`: robomimic's loss is a mean over the batch, so each part weighs by its size. */
  share: number;
}

/** Returns consecutive ranges of at most `microBatch` elements covering `[0, batchSize)`; the last may be smaller. */
export function microBatches(batchSize: number, microBatch: number): MicroBatch[] {
  invariant(Number.isInteger(microBatch) && microBatch >= 1, `micro-batch ${microBatch} must be a positive integer`);
  const parts: MicroBatch[] = [];
  for (let start = 0; start < batchSize; start += microBatch) {
    const end = Math.min(batchSize, start + microBatch);
    parts.push({ start, end, share: (end - start) / batchSize });
  }
  return parts;
}

/** Returns the rows `[start, end)` of a host batch; the arrays are views into `batch`'s. */
export function sliceBatch(batch: Batch, { start, end }: MicroBatch): Batch {
  const rows = (a: { shape: number[]; data: Float32Array }) => {
    const perRow = a.data.length / a.shape[0]!;
    return { shape: [end - start, ...a.shape.slice(1)], data: a.data.subarray(start * perRow, end * perRow) };
  };
  return {
    obs: Object.fromEntries(Object.entries(batch.obs).map(([key, o]) => [key, rows(o)])),
    actions: rows(batch.actions),
    refs: batch.refs.slice(start, end),
  };
}

/** Returns the noise `[S, end − start, Tp, ac]` and timesteps of elements `[start, end)` (caller disposes the noise). */
export function sliceLossDraws(draws: LossDraws, { start, end }: MicroBatch): LossDraws {
  const [S, , Tp, ac] = draws.noise.shape;
  return { noise: tf.slice(draws.noise, [0, start, 0, 0], [S, end - start, Tp, ac]), timesteps: draws.timesteps.slice(start, end) };
}
