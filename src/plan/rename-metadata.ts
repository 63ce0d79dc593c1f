/**
 * Makes a state dict's `_metadata` (module prefix → `{version: n}`) follow the renames of a plan, so
 * version-dependent `_load_from_state_dict` logic sees the right modules under their new names.
 */
import { renameModulePrefixes } from '../checkpoint/rename-keys.ts';
import type { PyValue } from '../checkpoint/types.ts';
import type { KeySpec } from './model-schema.ts';
import type { NumberedStatement } from './rule-refs.ts';
import { walkRules } from './walk-rules.ts';

const NO_SPEC: KeySpec = { shape: [], dtype: 'float32' };

/**
 * Returns `metadata` with the plan's rename statements applied to its module prefixes, each renamed
 * the way a key under that module is (so `**.module.** -> **.**` also renames the prefix
 * `policy.obs_encoder.module`); drops, reinit and the rest do not apply to modules.
 */
export function renameMetadata(metadata: PyValue | undefined, statements: NumberedStatement[]): PyValue | undefined {
  if (metadata === undefined) return metadata;
  const renames = statements.filter((s) => s.statement.kind === 'Rename');
  // Renames act on each key alone, so one walk over every name renameModulePrefixes asks about gives
  // the same answers as one walk per name (a walk per name cost ~30 ms on a DROID checkpoint).
  const asked: string[] = [];
  renameModulePrefixes(metadata, (key) => (asked.push(key), key));
  const renamed = new Map(walkRules(new Map(asked.map((key) => [key, NO_SPEC])), renames).entries.map((e) => [e.sourceKey, e.key]));
  return renameModulePrefixes(metadata, (key) => renamed.get(key) ?? key);
}
