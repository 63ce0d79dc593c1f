/**
 * robomimic's `SequenceDataset` (one per file) and `MetaDataset` (several files) for training:
 * the flat sample index, per-file sampling weights, action normalisation stats over all files,
 * and the [-1, 1] action check. Sample contents are read lazily by `readBatch`.
 */
import { InputError } from '../input-error.ts';
import { mergeStats, normalizationStats, trajectoryStats, type ActionStats, type NormalizationStats } from './action-stats.ts';
import type { DataSource, DataSpec } from './data-spec.ts';
import { openDemoFile, type DemoFile } from './demo-file.ts';
import { samplesInDemo } from './sequence-window.ts';

/** One training sample: a start frame in one demo of one file. */
export interface SampleRef {
  file: number;
  demo: string;
  /** `index_in_demo` of robomimic: the current frame t of the window. */
  t: number;
}

export interface SequenceDataset {
  spec: DataSpec;
  files: DemoFile[];
  sources: DataSource[];
  samples: SampleRef[];
  /** Per-sample weight for robomimic's weighted sampler (equal within a file). */
  sampleWeights: Float64Array;
  /** Per action key, as stored in checkpoints' `action_normalization_stats`. */
  actionNormalization: Map<string, NormalizationStats>;
  /** Sum of the action keys' widths. */
  acDim: number;
  close(): void;
}

/**
 * Returns the dataset over `sources` (robomimic `dataset_factory`): files opened and checked,
 * samples enumerated, action stats merged across files (as `MetaDataset` does) unless
 * `normalization` is given (e.g. from a checkpoint being resumed).
 */
export async function openSequenceDataset(
  sources: DataSource[],
  spec: DataSpec,
  options: { normalizeWeightsBySize?: boolean; normalization?: Map<string, NormalizationStats> } = {},
): Promise<SequenceDataset> {
  const files: DemoFile[] = [];
  try {
    for (const source of sources) files.push(await openDemoFile(source, spec));
    const samples: SampleRef[] = [];
    const counts: number[] = [];
    files.forEach((file, f) => {
      const before = samples.length;
      const offset = spec.padFrameStack ? 0 : spec.frameStack - 1;
      for (const demo of file.demos) {
        const n = samplesInDemo(demo.length, spec.frameStack, spec.seqLength, spec.padFrameStack, spec.padSeqLength);
        for (let i = 0; i < n; i++) samples.push({ file: f, demo: demo.name, t: i + offset });
      }
      counts.push(samples.length - before);
    });
    const sampleWeights = new Float64Array(samples.length);
    samples.forEach((s, i) => {
      const w = sources[s.file]!.weight;
      sampleWeights[i] = options.normalizeWeightsBySize ? w / counts[s.file]! : w;
    });
    const actionNormalization = options.normalization ?? computeNormalization(files, spec);
    const acDim = spec.actionKeys.reduce((sum, key) => sum + files[0]!.actionDims.get(key)!, 0);
    for (const file of files) checkActionRange(file, spec, actionNormalization);
    return { spec, files, sources, samples, sampleWeights, actionNormalization, acDim, close: () => files.forEach((f) => f.close()) };
  } catch (error) {
    for (const file of files) file.close();
    throw error;
  }
}

function computeNormalization(files: DemoFile[], spec: DataSpec): Map<string, NormalizationStats> {
  const result = new Map<string, NormalizationStats>();
  for (const key of spec.actionKeys) {
    let stats: ActionStats | undefined;
    for (const file of files) {
      const dim = file.actionDims.get(key)!;
      for (const demo of file.demos) {
        const traj = trajectoryStats(file.readRows(demo.name, key, 0, demo.length), demo.length, dim);
        stats = stats ? mergeStats(stats, traj) : traj;
      }
    }
    result.set(key, normalizationStats(stats!, spec.actionNormalization[key] ?? 'none'));
  }
  return result;
}

/**
 * Throws naming file, demo, step and key when a normalised action leaves [-1, 1]: the diffusion
 * policy clips its samples to that range, and robomimic refuses such data too.
 */
function checkActionRange(file: DemoFile, spec: DataSpec, normalization: Map<string, NormalizationStats>): void {
  for (const key of spec.actionKeys) {
    const { scale, offset } = normalization.get(key)!;
    const dim = scale.length;
    for (const demo of file.demos) {
      const raw = file.readRows(demo.name, key, 0, demo.length);
      for (let i = 0; i < raw.length; i++) {
        const d = i % dim;
        const value = Math.fround((raw[i]! - offset[d]!) / scale[d]!);
        if (!(value >= -1 && value <= 1)) {
          const step = Math.floor(i / dim);
          const how = spec.actionNormalization[key] === 'none' || !spec.actionNormalization[key] ? 'with normalization none' : 'after normalization';
          throw new InputError(
            'data/action-out-of-range',
            file.path,
            `action "${key}" of ${demo.name} at step ${step} has value ${raw[i]} in dimension ${d}, which is outside [-1, 1] ${how}; the diffusion policy needs actions in [-1, 1]. Set train.action_config["${key}"].normalization to "min_max" or rescale the data.`,
            { member: `data/${demo.name}/${key}` },
          );
        }
      }
    }
  }
}
