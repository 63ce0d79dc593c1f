/**
 * Builds a policy from a robomimic checkpoint (`TrainUtils.save_model` layout): the config string,
 * `shape_metadata`, and the `model.nets` / `model.ema` state dicts. Widths come from the
 * checkpoint's shapes and every key and shape is checked before a byte of weights is read.
 */
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { getAtPath, isDict } from '../checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../checkpoint/read-tensor.ts';
import type { Checkpoint, StateDictEntry } from '../checkpoint/types.ts';
import { InputError } from '../input-error.ts';
import { validatePolicyConfig, type PolicyConfig, type ShapeMetadata } from './config.ts';
import { buildPolicy, type Policy } from './policy.ts';
import { policySchema, type PolicySchema } from './schema.ts';
import { configWithWidthsFrom } from './widths-from-shapes.ts';
import { checkStateDictShapes, MAX_LISTED_PROBLEMS, weightsFromStateDict, type PolicyWeights, type TorchTensor } from './weights.ts';

export interface LoadedPolicy {
  policy: Policy;
  checkpoint: Checkpoint;
  warnings: string[];
}

/** Returns the policy stored in the checkpoint at `path`, with both weight sets loaded. */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  const checkpoint = await openCheckpoint(path);
  const { config, warnings } = policyConfigOf(checkpoint);
  const nets = stateDictAt(checkpoint, 'model.nets');
  const ema = checkpoint.stateDicts.find((s) => s.name === 'model.ema');
  const schema = policySchema(config);
  const netsWeights = await loadWeights(checkpoint, schema, nets, true);
  const emaWeights = ema && config.ema.enabled ? await loadWeights(checkpoint, schema, ema, false) : null;
  return { policy: buildPolicy(config, netsWeights, emaWeights), checkpoint, warnings };
}

/**
 * Returns the resolved config of a robomimic checkpoint: its `config` JSON string validated with
 * its `shape_metadata`, widths taken from the `model.nets` shapes.
 */
export function policyConfigOf(checkpoint: Checkpoint): { config: PolicyConfig; warnings: string[] } {
  const text = getAtPath(checkpoint.root, ['config']);
  if (typeof text !== 'string') {
    throw new InputError('load/no-config', checkpoint.path, 'has no "config" string, so it is not a robomimic checkpoint; pass a checkpoint written by robomimic or by `surgery init`.');
  }
  const { config, warnings } = validatePolicyConfig(text, `${checkpoint.path} (config)`, shapeMetadataOf(checkpoint));
  const nets = stateDictAt(checkpoint, 'model.nets');
  const shapes = new Map([...nets.tensors].map(([k, t]) => [k, t.shape]));
  return { config: configWithWidthsFrom(config, shapes), warnings };
}

function shapeMetadataOf(checkpoint: Checkpoint): ShapeMetadata {
  const meta = getAtPath(checkpoint.root, ['shape_metadata']);
  if (!isDict(meta)) return {};
  const out: ShapeMetadata = {};
  const ac = meta.entries.get('ac_dim');
  if (typeof ac === 'number') out.acDim = ac;
  const all = meta.entries.get('all_shapes');
  if (isDict(all)) {
    out.allShapes = new Map();
    for (const [key, shape] of all.entries) {
      if (typeof key === 'string' && Array.isArray(shape) && shape.every((d) => typeof d === 'number')) out.allShapes.set(key, shape as number[]);
    }
  }
  return out;
}

function stateDictAt(checkpoint: Checkpoint, name: string): StateDictEntry {
  const entry = checkpoint.stateDicts.find((s) => s.name === name);
  if (!entry) {
    throw new InputError('load/no-state-dict', checkpoint.path, `has no "${name}" state dict (found: ${checkpoint.stateDicts.map((s) => `"${s.name || '<root>'}"`).join(', ') || 'none'}).`);
  }
  return entry;
}

/** Returns weights read from one state dict after checking every key and shape against the schema. */
async function loadWeights(checkpoint: Checkpoint, schema: PolicySchema, entry: StateDictEntry, trainable: boolean): Promise<PolicyWeights> {
  const shapes = new Map([...entry.tensors].map(([k, t]) => [k, t.shape]));
  const problems = checkStateDictShapes(schema, shapes);
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.message);
    const more = problems.length > MAX_LISTED_PROBLEMS ? ` … and ${problems.length - MAX_LISTED_PROBLEMS} more.` : '';
    throw new InputError(problems[0]!.code, checkpoint.path, `"${entry.name}" does not fit the model its config describes: ${listed.join(' ')}${more}`, { member: entry.name });
  }
  const tensors = new Map<string, TorchTensor>();
  for (const [key, tensor] of entry.tensors) tensors.set(key, { shape: tensor.shape, data: await readTensorAsFloat32(tensor) });
  return weightsFromStateDict(schema, tensors, trainable);
}
