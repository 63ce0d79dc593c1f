/**
 * Renames a state dict's keys and makes its `_metadata` follow: each metadata key is a module
 * path, renamed the way a key under that module would be, as torch's own
 * `consume_prefix_in_state_dict_if_present` does for `module.` prefixes.
 */
import { isDict } from './py-value.ts';
import type { PyDict, PyKey, PyValue } from './types.ts';

/** Returns a new dict with each string key replaced by `rename(key)` (order kept) and `_metadata` renamed to match. */
export function renameKeys(dict: PyDict, rename: (key: string) => string): PyDict {
  const entries = new Map<PyKey, PyValue>();
  for (const [key, value] of dict.entries) entries.set(typeof key === 'string' ? rename(key) : key, value);
  const renamed: PyDict = { kind: 'dict', ordered: dict.ordered, entries };
  if (dict.metadata !== undefined) renamed.metadata = renameModulePrefixes(dict.metadata, rename);
  return renamed;
}

/**
 * Returns `_metadata` with every module path renamed as a key under it would be: `rename` is
 * applied to `<path>.<probe>` and the probe stripped again. The root module (`''`) keeps its name;
 * a path whose probe does not survive the rename is left as it was.
 */
export function renameModulePrefixes(metadata: PyValue, rename: (key: string) => string): PyValue {
  if (!isDict(metadata)) return metadata;
  const probe = '\u0000probe';
  const entries = new Map<PyKey, PyValue>();
  for (const [key, value] of metadata.entries) {
    if (typeof key !== 'string' || key === '') {
      entries.set(key, value);
      continue;
    }
    const renamed = rename(`${key}.${probe}`);
    entries.set(renamed.endsWith(`.${probe}`) ? renamed.slice(0, -probe.length - 1) : key, value);
  }
  return { ...metadata, entries };
}
