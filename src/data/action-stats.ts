/**
 * robomimic's action statistics and normalisation (`_compute_traj_stats`, `_aggregate_traj_stats`,
 * `action_stats_to_normalization_stats`, `ObsUtils.normalize_dict`): per action key, stats over
 * every demo of every file, then a scale/offset with `normalized = (raw − offset) / scale`.
 */
import type { ActionNormalization } from './data-spec.ts';

/** Running statistics of one action key, per dimension (Chan et al.'s parallel algorithm, as robomimic). */
export interface ActionStats {
  n: number;
  mean: Float64Array;
  sqdiff: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Per dimension: `raw = scale · normalized + offset`, float32 as robomimic stores them. */
export interface NormalizationStats {
  scale: Float32Array;
  offset: Float32Array;
}

/** Returns the statistics of one trajectory `[T, dim]` (row-major), as robomimic's float32 arrays give them. */
export function trajectoryStats(values: ArrayLike<number>, rows: number, dim: number): ActionStats {
  const mean = new Float64Array(dim);
  const sqdiff = new Float64Array(dim);
  const min = new Float64Array(dim).fill(Infinity);
  const max = new Float64Array(dim).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) {
      // robomimic casts actions to float32 before taking stats.
      const v = Math.fround(values[r * dim + d]!);
      mean[d]! += v;
      if (v < min[d]!) min[d] = v;
      if (v > max[d]!) max[d] = v;
    }
  }
  for (let d = 0; d < dim; d++) mean[d]! /= rows;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) sqdiff[d]! += (Math.fround(values[r * dim + d]!) - mean[d]!) ** 2;
  }
  return { n: rows, mean, sqdiff, min, max };
}

/** Returns the merge of two statistics (robomimic `_aggregate_traj_stats`). */
export function mergeStats(a: ActionStats, b: ActionStats): ActionStats {
  const n = a.n + b.n;
  const dim = a.mean.length;
  const mean = new Float64Array(dim);
  const sqdiff = new Float64Array(dim);
  const min = new Float64Array(dim);
  const max = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    mean[d] = (a.n * a.mean[d]! + b.n * b.mean[d]!) / n;
    const delta = b.mean[d]! - a.mean[d]!;
    sqdiff[d] = a.sqdiff[d]! + b.sqdiff[d]! + (delta * delta * a.n * b.n) / n;
    min[d] = Math.min(a.min[d]!, b.min[d]!);
    max[d] = Math.max(a.max[d]!, b.max[d]!);
  }
  return { n, mean, sqdiff, min, max };
}

/** Returns scale and offset for `method` from `stats` (robomimic `action_stats_to_normalization_stats`). */
export function normalizationStats(stats: ActionStats, method: ActionNormalization): NormalizationStats {
  const dim = stats.mean.length;
  const scale = new Float32Array(dim);
  const offset = new Float32Array(dim);
  if (method === 'none') {
    scale.fill(1);
    return { scale, offset };
  }
  if (method === 'min_max') {
    // robomimic maps to ±0.999999, not ±1, and leaves near-constant dimensions unscaled.
    const outMin = -0.999999;
    const outMax = 0.999999;
    for (let d = 0; d < dim; d++) {
      const lo = Math.fround(stats.min[d]!);
      const hi = Math.fround(stats.max[d]!);
      const range = Math.fround(hi - lo);
      if (range < 1e-4) {
        scale[d] = Math.fround(outMax - outMin) / (outMax - outMin);
        offset[d] = lo - (outMax + outMin) / 2;
      } else {
        scale[d] = range / (outMax - outMin);
        offset[d] = lo - Math.fround(scale[d]!) * outMin;
      }
    }
    return { scale, offset };
  }
  for (let d = 0; d < dim; d++) {
    const std = Math.fround(Math.sqrt(stats.sqdiff[d]! / stats.n));
    scale[d] = std < 1e-6 ? 1 : std;
    offset[d] = stats.mean[d]!;
  }
  return { scale, offset };
}
