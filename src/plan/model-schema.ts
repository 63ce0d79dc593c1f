/**
 * What the planner needs to know about one side of a surgery (source or target): per state dict,
 * each key's shape and dtype, and — when the side is a real checkpoint — the tensors themselves.
 * Manifests and configs give only the first; checkpoints give both, without reading tensor bytes.
 */
import type { Checkpoint, DType, Tensor } from '../checkpoint/types.ts';
import type { PolicyConfig } from '../model/config.ts';

/** One key of a state dict as the planner sees it. */
export interface KeySpec {
  shape: number[];
  dtype: DType;
  /** Present when the schema came from a checkpoint; its bytes are still on disk. */
  tensor?: Tensor;
}

/** The keys of one state dict, in file order. */
export interface StateDictSchema {
  /** Dotted path from the checkpoint root (`model.nets`), `''` for the root, `*` for an unnamed manifest. */
  name: string;
  keys: Map<string, KeySpec>;
}

/** Every state dict of one side, plus where it came from. */
export interface ModelSchema {
  kind: 'checkpoint' | 'manifest' | 'config';
  /** The path as the user gave it. */
  path: string;
  stateDicts: StateDictSchema[];
  /** The opened checkpoint, when `kind` is `checkpoint`. */
  checkpoint?: Checkpoint;
  /** The robomimic config the model is built from, when `kind` is `config`: resolved, and its JSON text. */
  config?: { policy: PolicyConfig; text: string };
}

/** The name an unnamed manifest (TSV, or JSON without state-dict names) uses: it stands for every state dict in scope. */
export const ANY_STATE_DICT = '*';

/** Returns the state dict of `schema` named `name`, or the unnamed one that stands for every name. */
export function findStateDict(schema: ModelSchema, name: string): StateDictSchema | undefined {
  return schema.stateDicts.find((d) => d.name === name) ?? schema.stateDicts.find((d) => d.name === ANY_STATE_DICT);
}

/** Returns `shape` as torch prints it in error messages: `[1024, 1031]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
