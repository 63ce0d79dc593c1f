/**
 * Makes a state dict's `_metadata` (module prefix → `{version: n}`) follow the renames of a plan, so
 * version-dependent `_load_from_state_dict` logic sees the right modules under their new names.
 */
import { isDict, pyDict } from '../checkpoint/py-value.ts';
import type { PyKey, PyValue } from '../checkpoint/types.ts';
import type { NumberedStatement } from './rule-refs.ts';
import { walkRules } from './walk-rules.ts';

/**
 * Returns `metadata` with the plan's rename statements applied to its module prefixes (a prefix is a
 * key-like dotted path, so segment renames and `**` patterns rename it as they rename keys); drops,
 * reinit and the rest do not apply to modules. When two prefixes end up equal the first one wins.
 */
export function renameMetadata(metadata: PyValue | undefined, statements: NumberedStatement[]): PyValue | undefined {
  if (!isDict(metadata)) return metadata;
  const renames = statements.filter((s) => s.statement.kind === 'Rename');
  const prefixes = [...metadata.entries.keys()].filter((k): k is string => typeof k === 'string' && k !== '');
  const walk = walkRules(new Map(prefixes.map((p) => [p, { shape: [], dtype: 'float32' as const }])), renames);
  const renamed = new Map(walk.entries.map((e) => [e.sourceKey, e.key]));
  const out = new Map<PyKey, PyValue>();
  for (const [key, value] of metadata.entries) {
    const name = typeof key === 'string' ? renamed.get(key) ?? key : key;
    if (!out.has(name)) out.set(name, value);
  }
  return pyDict(out, { ordered: metadata.ordered });
}
