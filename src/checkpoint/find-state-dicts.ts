/**
 * Finds every state dict in a checkpoint tree: each non-empty dict whose keys are strings and
 * whose values are all tensors (what `load_state_dict` would take), reached through dict keys.
 */
import { isDict, isTensor } from './py-value.ts';
import type { PyKey, PyValue, StateDictEntry, Tensor } from './types.ts';

/** Returns the state dicts under `root` in depth-first file order; the root itself has name `''`. */
export function findStateDicts(root: PyValue): StateDictEntry[] {
  const found: StateDictEntry[] = [];
  const walk = (node: PyValue, path: PyKey[]): void => {
    if (!isDict(node)) return;
    const tensors = asStateDict(node.entries);
    if (tensors) {
      found.push({ path, name: path.map(String).join('.'), dict: node, tensors });
      return;
    }
    for (const [key, value] of node.entries) walk(value, [...path, key]);
  };
  walk(root, []);
  return found;
}

function asStateDict(entries: Map<PyKey, PyValue>): Map<string, Tensor> | undefined {
  if (entries.size === 0) return undefined;
  const tensors = new Map<string, Tensor>();
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || !isTensor(value)) return undefined;
    tensors.set(key, value);
  }
  return tensors;
}
