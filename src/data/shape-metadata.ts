/**
 * robomimic's `shape_metadata` from the data (`FileUtils.get_shape_metadata_from_dataset`):
 * action width, processed per-key shapes (images CHW), keys sorted as robomimic sorts them.
 */
import type { SequenceDataset } from './sequence-dataset.ts';

export interface DataShapeMetadata {
  acDim: number;
  /** Sorted by key; images `[C, H, W]`, low-dim `[D]`. */
  allShapes: [string, number[]][];
  useImages: boolean;
}

/** Returns the shape metadata of `dataset` (its first file; all files were checked to agree). */
export function shapeMetadata(dataset: Pick<SequenceDataset, 'files' | 'spec' | 'acDim'>): DataShapeMetadata {
  const first = dataset.files[0]!;
  const kinds = new Map(dataset.spec.obsKeys.map((k) => [k.name, k.kind]));
  const allShapes = [...kinds.keys()].sort().map((key): [string, number[]] => {
    const stored = first.obsShapes.get(key)!;
    return [key, kinds.get(key) === 'rgb' ? [stored[2]!, stored[0]!, stored[1]!] : [stored.reduce((a, b) => a * b, 1)]];
  });
  return { acDim: dataset.acDim, allShapes, useImages: [...kinds.values()].includes('rgb') };
}
