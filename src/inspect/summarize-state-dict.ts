/**
 * Summarises one state dict for `surgery inspect`: counts, sizes, dtype mix, its keys (filtered,
 * runs collapsed) and its alias groups (keys whose tensors share a storage).
 */
import { DTYPE_SIZE, type StateDictEntry, type Storage, type Tensor } from '../checkpoint/types.ts';
import { numelOf } from '../checkpoint/py-value.ts';
import { collapseRuns, type KeyLine } from './collapse-runs.ts';

/** One state dict as `surgery inspect` lists it. */
export interface StateDictSummary {
  name: string;
  tensors: number;
  /** Elements over distinct tensor views (an aliased tensor counts once). */
  parameters: number;
  /** Bytes over distinct storages. */
  bytes: number;
  /** dtype → number of keys. */
  dtypes: Record<string, number>;
  /** Keys matching the filter, runs collapsed. */
  keys: KeyLine[];
  /** How many keys matched the filter. */
  matched: number;
  /** Groups of keys (matching the filter) that share one storage. */
  aliasGroups: string[][];
}

/** Returns the summary of `entry`, listing only keys for which `keep` is true. */
export function summarizeStateDict(entry: StateDictEntry, keep: (key: string) => boolean): StateDictSummary {
  const views = new Set<string>();
  const storages = new Map<Storage, string[]>();
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  const lines: KeyLine[] = [];
  const ids = new Map<Storage, number>();
  for (const [key, tensor] of entry.tensors) {
    const id = ids.get(tensor.storage) ?? ids.set(tensor.storage, ids.size).size - 1;
    const view = `${id}:${tensor.storageOffset}:${tensor.shape}:${tensor.stride}`;
    if (!views.has(view)) parameters += numelOf(tensor.shape);
    views.add(view);
    dtypes[tensor.storage.dtype] = (dtypes[tensor.storage.dtype] ?? 0) + 1;
    if (!keep(key)) continue;
    storages.set(tensor.storage, [...(storages.get(tensor.storage) ?? []), key]);
    lines.push(lineOf(key, tensor));
  }
  const bytes = [...ids.keys()].reduce((sum, storage) => sum + storage.numel * DTYPE_SIZE[storage.dtype], 0);
  return {
    name: entry.name,
    tensors: entry.tensors.size,
    parameters,
    bytes,
    dtypes,
    keys: collapseRuns(lines),
    matched: lines.length,
    aliasGroups: [...storages.values()].filter((keys) => keys.length > 1),
  };
}

function lineOf(key: string, tensor: Tensor): KeyLine {
  return { key, shape: tensor.shape, dtype: tensor.storage.dtype, count: 1 };
}
