/**
 * Makes a state dict's `_metadata` (module prefix → `{version: n}`) follow the renames of a plan, so
 * version-dependent `_load_from_state_dict` logic sees the right modules under their new names.
 */
import { renameMetadata as renameModulePaths } from '../checkpoint/rename-keys.ts';
import type { PyValue } from '../checkpoint/types.ts';
import type { NumberedStatement } from './rule-refs.ts';
import { walkRules } from './walk-rules.ts';

/**
 * Returns `metadata` with the plan's rename statements applied to its module prefixes, each renamed
 * the way a key under that module is (so `**.module.** -> **.**` also renames the prefix
 * `policy.obs_encoder.module`); drops, reinit and the rest do not apply to modules.
 */
export function renameMetadata(metadata: PyValue | undefined, statements: NumberedStatement[]): PyValue | undefined {
  if (metadata === undefined) return metadata;
  const renames = statements.filter((s) => s.statement.kind === 'Rename');
  const renameKey = (key: string) => walkRules(new Map([[key, { shape: [], dtype: 'float32' as const }]]), renames).entries[0]?.key ?? key;
  return renameModulePaths(metadata, renameKey);
}
