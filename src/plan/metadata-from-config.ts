/**
 * `apply --target-config`: the output holds the target config's model, so its robomimic metadata
 * must describe that model too, or `policy_from_checkpoint` rebuilds the source's (DROID's `ac_dim`
 * 10 around LIBERO weights). Replaces the source's fields with those robomimic derives from the config.
 */
import { isDict, isList, pyDict } from '../checkpoint/py-value.ts';
import type { PyDict, PyValue } from '../checkpoint/types.ts';
import type { PolicyConfig } from '../model/config.ts';
import { identityActionStats, robomimicMetadata } from '../model/robomimic-metadata.ts';

/**
 * Returns `root` (a robomimic-style top-level dict) with `config`, `algo_name` and `shape_metadata`
 * from the config; `action_normalization_stats` kept where they fit the config's action keys and
 * widths, else the identity; `env_metadata` emptied (a config names no environment). Pushes one
 * note per replaced field.
 */
export function withMetadataFromConfig(root: PyDict, config: { policy: PolicyConfig; text: string; path: string }, notes: string[]): PyDict {
  const metadata = robomimicMetadata(config.policy, config.text);
  const copy: PyDict = { ...root, entries: new Map(root.entries) };
  copy.entries.set('config', metadata.config);
  copy.entries.set('algo_name', metadata.algoName);
  copy.entries.set('shape_metadata', metadata.shapeMetadata);
  const { acDim, obsKeys } = config.policy;
  notes.push(`"config", "algo_name" and "shape_metadata" come from the target config "${config.path}" (ac_dim ${acDim}; obs ${obsKeys.map((k) => `${k.key} [${k.shape.join(', ')}]`).join(', ')}).`);
  const stats = root.entries.get('action_normalization_stats');
  if (!statsFit(stats, config.policy)) {
    copy.entries.set('action_normalization_stats', identityActionStats(config.policy));
    notes.push(`"action_normalization_stats" are the identity (scale 1, offset 0) for ${config.policy.actionKeys.map((k) => `"${k}"`).join(', ')}: the source's do not fit the target's actions; training recomputes them from the data.`);
  }
  if (root.entries.has('env_metadata')) {
    copy.entries.set('env_metadata', pyDict([], { ordered: false }));
    notes.push('"env_metadata" is empty: the source\'s environment is not the target\'s, and a config does not name one.');
  }
  return copy;
}

/** Whether `stats` has exactly the config's action keys, each `{scale, offset}` one row of the key's width. */
function statsFit(stats: PyValue | undefined, policy: PolicyConfig): boolean {
  if (!isDict(stats) || stats.entries.size !== policy.actionKeys.length) return false;
  return policy.actionKeys.every((key, i) => {
    const entry = stats.entries.get(key);
    if (!isDict(entry)) return false;
    return ['scale', 'offset'].every((field) => {
      const rows = entry.entries.get(field);
      return isList(rows) && rows.length === 1 && isList(rows[0]) && rows[0].length === policy.actionDims[i];
    });
  });
}
