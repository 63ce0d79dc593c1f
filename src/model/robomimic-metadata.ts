/**
 * The non-tensor fields robomimic's `TrainUtils.save_model` stores beside a policy's weights, derived
 * from its config as robomimic derives them, so `FileUtils.policy_from_checkpoint` rebuilds the model
 * the weights belong to. One place for `init`, `apply --target-config` and `train`.
 */
import { pyDict, pyFloat } from '../checkpoint/py-value.ts';
import type { PyDict, PyValue } from '../checkpoint/types.ts';
import type { PolicyConfig } from './config.ts';
import { dumpConfig } from './dump-config.ts';

export interface RobomimicMetadata {
  /** `config.dump()`: the config JSON as Python's `json.dumps(indent=4)` writes it. */
  config: string;
  algoName: 'diffusion_policy';
  /** `get_shape_metadata_from_dataset`'s dict: `ac_dim`, `all_shapes`, `all_obs_keys`, `use_images` (+ `use_depths` upstream). */
  shapeMetadata: PyDict;
}

/**
 * Returns the metadata robomimic would store for a model built from `config` (validated from
 * `configText`, valid JSON). `all_shapes` keeps the encoder's key order (sorted for hdf5 data, the
 * fork's fixed list for `droid_rlds`) with the processed dataset shapes (images `[C, H, W]`,
 * uncropped); `all_obs_keys` is sorted, as robomimic's `config.all_obs_keys` is.
 */
export function robomimicMetadata(config: PolicyConfig, configText: string): RobomimicMetadata {
  const allShapes = config.obsKeys.map(({ key, shape }): [string, PyValue] => [key, [...shape]]);
  const shapeMetadata: [string, PyValue][] = [
    ['ac_dim', config.acDim],
    ['all_shapes', pyDict(allShapes)],
    ['all_obs_keys', config.obsKeys.map((k) => k.key).sort()],
    ['use_images', config.obsKeys.some((k) => k.modality === 'rgb')],
  ];
  // Upstream v0.5 also records use_depths (depth keys are refused at validation, so it is false); the fork does not.
  if (config.code === 'upstream') shapeMetadata.push(['use_depths', false]);
  return { config: dumpConfig(configText), algoName: 'diffusion_policy', shapeMetadata: pyDict(shapeMetadata, { ordered: false }) };
}

/** Returns `action_normalization_stats` that leave actions as they are (scale 1, offset 0 per action key), for when no dataset was read. */
export function identityActionStats(config: PolicyConfig): PyDict {
  return pyDict(
    config.actionKeys.map((key, i): [string, PyValue] => {
      const dim = config.actionDims[i]!;
      const row = (v: number) => [new Array(dim).fill(0).map(() => pyFloat(v))];
      return [key, pyDict([['scale', row(1)], ['offset', row(0)]], { ordered: false })];
    }),
  );
}
