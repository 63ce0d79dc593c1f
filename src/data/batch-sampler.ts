/**
 * Which samples go into each batch, as robomimic's DataLoader draws them: one file → a fresh
 * random permutation per pass, batches of `batchSize`, the last partial batch dropped
 * (`shuffle=True, drop_last=True`); several files → `MetaDataset`'s weighted sampler, with
 * replacement, `len(dataset)` draws per pass. Each epoch starts a new pass (`iter(data_loader)`).
 */
import type { SampleRef, SequenceDataset } from './sequence-dataset.ts';

export interface BatchSampler {
  /** Starts a new pass, as robomimic's `run_epoch` does with `iter(data_loader)`. */
  startEpoch(): void;
  /** Returns the next batch's samples, starting a new pass when this one is used up. */
  next(): SampleRef[];
  /** Batches in one full pass (robomimic's `len(data_loader)`). */
  batchesPerPass: number;
}

/** Returns a sampler over `dataset` drawing from `uniform` (the trainer's seeded generator). */
export function createBatchSampler(dataset: Pick<SequenceDataset, 'samples' | 'sampleWeights' | 'files'>, batchSize: number, uniform: () => number): BatchSampler {
  const n = dataset.samples.length;
  const weighted = dataset.files.length > 1;
  const batchesPerPass = Math.floor(n / batchSize);
  let order: Int32Array = new Int32Array(0);
  let cursor = 0;
  const cumulative = new Float64Array(n);
  dataset.sampleWeights.reduce((sum, w, i) => (cumulative[i] = sum + w), 0);
  const total = cumulative[n - 1] ?? 0;
  const newPass = () => {
    order = weighted ? weightedDraws(cumulative, total, n, uniform) : permutation(n, uniform);
    cursor = 0;
  };
  return {
    batchesPerPass,
    startEpoch: newPass,
    next() {
      if (order.length === 0 || cursor + batchSize > order.length) newPass();
      const refs = Array.from(order.subarray(cursor, cursor + batchSize), (i) => dataset.samples[i]!);
      cursor += batchSize;
      return refs;
    },
  };
}

/** Fisher–Yates over 0..n−1. */
function permutation(n: number, uniform: () => number): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** `n` indices drawn with replacement, proportional to the weights (inverse CDF by bisection). */
function weightedDraws(cumulative: Float64Array, total: number, n: number, uniform: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const u = uniform() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}
