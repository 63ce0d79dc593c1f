/**
 * `surgery init`: a freshly initialised diffusion-policy checkpoint in robomimic's layout
 * (`TrainUtils.save_model`): `model` {nets, ema}, `config`, `algo_name`, `env_metadata`,
 * `shape_metadata`, `action_normalization_stats` — usable as the `--target` of `plan`/`apply`.
 */
import { readFile } from 'node:fs/promises';
import { pyDict } from '../checkpoint/py-value.ts';
import { tensorFromArray } from '../checkpoint/tensor-from-array.ts';
import type { PyDict, PyValue, Tensor } from '../checkpoint/types.ts';
import { writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import { InputError } from '../input-error.ts';
import { createRng } from '../random/rng.ts';
import { validatePolicyConfig, type PolicyConfig, type ShapeMetadata } from './config.ts';
import { initialValues } from './init-weights.ts';
import { identityActionStats, robomimicMetadata } from './robomimic-metadata.ts';
import { policySchema, type PolicySchema } from './schema.ts';
import { numelOf } from '../checkpoint/py-value.ts';

export interface InitOptions {
  configPath: string;
  out: string;
  seed: number;
  /** Sizes the config does not record (`--ac-dim`, `--obs-dim key=N`). */
  shapes?: ShapeMetadata;
}

export interface InitResult {
  config: PolicyConfig;
  keys: number;
  parameters: number;
  bytes: number;
  warnings: string[];
}

/** Returns what was written after writing a fresh checkpoint for the config to `out` (atomically). */
export async function initCheckpoint(options: InitOptions): Promise<InitResult> {
  const text = await readConfigText(options.configPath);
  const { config, warnings } = validatePolicyConfig(text, options.configPath, options.shapes ?? {});
  const schema = policySchema(config);
  const values = initialValues(schema, createRng(options.seed));
  // EMAModel starts as a deep copy of the nets, so both state dicts hold the same values.
  const tree = robomimicTree(config, text, schema, (id) => values(schema.params[id]!));
  // The tensors live in memory, so the writer protects no input of its own: `--out` may not be the config.
  const bytes = await writeCheckpoint(options.out, tree, { format: 'torch-zip', inputs: [options.configPath] });
  if (hasPretrained(text)) {
    warnings.push('the config asks for ImageNet-pretrained ResNet weights (backbone_kwargs.pretrained); `init` draws them fresh instead.');
  }
  warnings.push('action_normalization_stats are the identity (scale 1, offset 0): no dataset was read.');
  const parameters = schema.params.reduce((n, p) => n + numelOf(p.shape), 0);
  return { config, keys: schema.entries.length, parameters, bytes, warnings };
}

async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError('config/unreadable', path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}

function hasPretrained(text: string): boolean {
  return /"pretrained"\s*:\s*true/.test(text);
}

/**
 * Returns the checkpoint tree: both state dicts from `value(paramId)` (PyTorch layout; aliased keys
 * share one storage, as torch saves them), the config text and the metadata robomimic stores.
 */
export function robomimicTree(config: PolicyConfig, configText: string, schema: PolicySchema, value: (paramId: number) => Float32Array): PyValue {
  const stateDict = (): PyDict => {
    const made = new Map<number, Tensor>();
    const entries: [string, PyValue][] = schema.entries.map(({ key, param }) => {
      let t = made.get(param.id);
      if (!t) {
        t = tensorFromArray(value(param.id), param.shape, 'float32');
        made.set(param.id, t);
      }
      return [key, t];
    });
    return pyDict(entries);
  };
  const metadata = robomimicMetadata(config, configText);
  const model = pyDict([['nets', stateDict()], ['ema', config.ema.enabled ? stateDict() : null]], { ordered: false });
  return pyDict(
    [
      ['model', model],
      ['config', metadata.config],
      ['algo_name', metadata.algoName],
      ['env_metadata', pyDict([], { ordered: false })],
      ['shape_metadata', metadata.shapeMetadata],
      ['action_normalization_stats', identityActionStats(config)],
    ],
    { ordered: false },
  );
}
