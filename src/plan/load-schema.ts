/**
 * Loads one side of a surgery as a `ModelSchema`: a checkpoint (any format the readers accept; no
 * tensor bytes are read), a key manifest (`.json`, `.tsv`), or a robomimic config (target only).
 */
import { readFile, stat } from 'node:fs/promises';
import { openCheckpoint } from '../checkpoint/open-checkpoint.ts';
import { InputError } from '../input-error.ts';
import type { PolicySchema } from '../model/schema.ts';
import type { ModelSchema, StateDictSchema } from './model-schema.ts';
import { MAX_MANIFEST_BYTES, parseJsonManifest, parseTsvManifest } from './read-manifest.ts';

/** Returns the schema of the checkpoint or manifest at `path`; throws InputError when it cannot be read. */
export async function loadSchema(path: string): Promise<ModelSchema> {
  const kind = /\.tsv$/i.test(path) ? 'tsv' : /\.json$/i.test(path) ? 'json' : 'checkpoint';
  if (kind === 'checkpoint') return schemaOfCheckpoint(path);
  const text = await readInputText(path, 'manifest');
  const stateDicts = kind === 'tsv' ? parseTsvManifest(text, path) : parseJsonManifest(text, path);
  return { kind: 'manifest', path, stateDicts };
}

async function schemaOfCheckpoint(path: string): Promise<ModelSchema> {
  const checkpoint = await openCheckpoint(path);
  const stateDicts = checkpoint.stateDicts.map((d) => ({
    name: d.name,
    keys: new Map([...d.tensors].map(([key, tensor]) => [key, { shape: tensor.shape, dtype: tensor.storage.dtype, tensor }])),
  }));
  return { kind: 'checkpoint', path, stateDicts, checkpoint };
}

/** Returns the text of a key manifest or a config, after checking its size; errors name which of the two it is. */
async function readInputText(path: string, what: 'manifest' | 'config'): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new InputError(`${what}/unreadable`, path, `cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path.`);
  }
  const any = what === 'manifest' ? 'key manifest' : 'robomimic config';
  if (size > MAX_MANIFEST_BYTES) throw new InputError(`${what}/too-large`, path, `${size} bytes is larger than any ${any} (limit ${MAX_MANIFEST_BYTES}).`);
  return readFile(path, 'utf8');
}

/** The state dicts a robomimic checkpoint holds for its model: the trained nets and their EMA copy (same keys). */
const ROBOMIMIC_STATE_DICTS = ['model.nets', 'model.ema'];

/** Returns the schema of the model a robomimic `diffusion_policy` config builds, as `model.nets` and `model.ema`. */
export async function loadConfigSchema(path: string): Promise<ModelSchema> {
  const text = await readInputText(path, 'config');
  // Loaded on use: the model's config and schema modules are not needed to plan against a checkpoint or manifest.
  const [{ validatePolicyConfig }, { policySchema }] = await Promise.all([import('../model/config.ts'), import('../model/schema.ts')]);
  const policy = validatePolicyConfig(text, path).config;
  return { kind: 'config', path, stateDicts: stateDictsOfPolicy(policySchema(policy), ROBOMIMIC_STATE_DICTS), config: { policy, text } };
}

/** Returns the state dicts `names`, each holding every parameter of the model `schema` describes (float32). */
export function stateDictsOfPolicy(schema: PolicySchema, names: readonly string[]): StateDictSchema[] {
  const keys = new Map(schema.entries.map((e) => [e.key, { shape: e.param.shape, dtype: 'float32' as const }]));
  return names.map((name) => ({ name, keys }));
}
