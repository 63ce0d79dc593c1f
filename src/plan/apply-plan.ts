/**
 * Executes a plan: builds the output checkpoint's value tree. Transferred tensors keep their source
 * storages (the writer streams those bytes untouched, aliasing intact); reinit, assembled and filled
 * tensors are new in-memory tensors. Non-tensor content comes from the source or the target (a
 * target config decides robomimic's metadata); optimizer and scheduler state is dropped; a
 * provenance record says what made the file.
 */
import { isDict, pyDict } from '../checkpoint/py-value.ts';
import type { Checkpoint, PyDict, PyKey, PyValue, Tensor } from '../checkpoint/types.ts';
import { invariant } from '../invariant.ts';
import type { ModelSchema } from './model-schema.ts';
import type { Plan, StateDictPlan } from './plan-types.ts';
import { materializeRow, type RowSources } from './materialize-row.ts';
import { renameMetadata } from './rename-metadata.ts';
import { withMetadataFromConfig } from './metadata-from-config.ts';

/** The key under which the output records its provenance (a JSON string), at the checkpoint's top level. */
export const PROVENANCE_KEY = 'surgery_provenance';

/** Optimizer and LR-scheduler state refers to the old parameters by position; it cannot survive surgery. */
const TRAINING_STATE_KEYS = new Set(['optimizer', 'optimizers', 'lr_scheduler', 'lr_schedulers', 'scheduler', 'schedulers', 'optimizer_state_dict', 'scheduler_state_dict']);

export interface ApplyInput {
  plan: Plan;
  source: ModelSchema;
  target: ModelSchema | null;
  /** Where non-tensor content comes from; `target` needs a target checkpoint or config. */
  metadata: 'source' | 'target';
  seed: number;
  /** JSON-able record of what made the file. */
  provenance: unknown;
}

export interface ApplyResult {
  root: PyValue;
  /** Human-readable lines for the report: what was dropped, where metadata came from. */
  notes: string[];
}

/** Returns the output tree of `input.plan`; reads only the tensors it must compute (reinit, assembled, cast). */
export async function applyPlan(input: ApplyInput): Promise<ApplyResult> {
  const source = input.source.checkpoint;
  invariant(source, 'apply needs a source checkpoint, not a manifest');
  const target = input.target?.checkpoint;
  const base: Checkpoint = input.metadata === 'target' && target ? target : source;
  const fromConfig = input.metadata === 'target' && input.target?.config ? { ...input.target.config, path: input.target.path } : null;
  const notes = [`Non-tensor content (config, metadata) comes from the ${base === source ? 'source' : 'target'} "${base.path}"${fromConfig ? ', except what the target config decides:' : '.'}`];
  let root = base.root;
  const made = new Map<unknown, Tensor>();
  for (const dictPlan of input.plan.stateDicts) {
    const dict = await buildStateDict(dictPlan, input, base, made);
    root = setAtPath(root, pathOf(dictPlan.name, base, source), dict);
  }
  root = dropTrainingState(root, notes);
  const rootIsStateDict = input.plan.stateDicts.some((d) => d.name === '');
  if (fromConfig && isDict(root) && !rootIsStateDict) root = withMetadataFromConfig(root, fromConfig, notes);
  root = recordProvenance(root, input.provenance, rootIsStateDict);
  return { root, notes };
}

async function buildStateDict(dictPlan: StateDictPlan, input: ApplyInput, base: Checkpoint, made: Map<unknown, Tensor>): Promise<PyDict> {
  const sourceDict = input.source.stateDicts.find((d) => d.name === dictPlan.name) ?? input.source.stateDicts[0]!;
  const targetDict = input.target?.stateDicts.find((d) => d.name === dictPlan.name) ?? input.target?.stateDicts[0] ?? null;
  const sources: RowSources = { source: sourceDict, target: targetDict, seed: input.seed, made };
  const entries: Array<[PyKey, PyValue]> = [];
  for (const row of dictPlan.rows) {
    const tensor = await materializeRow(row, sources);
    if (tensor) entries.push([row.key, tensor]);
  }
  const original = findEntry(input.source.checkpoint!, dictPlan.name)?.dict;
  const baseDict = base !== input.source.checkpoint ? findEntry(base, dictPlan.name)?.dict : undefined;
  const statements = dictPlan.applied.map((index) => ({ index, file: input.plan.rules[index]!.file, statement: input.plan.rules[index]!.statement }));
  const metadata = baseDict?.metadata ?? renameMetadata(original?.metadata, statements);
  return pyDict(entries, { ordered: original?.ordered ?? true, ...(metadata !== undefined ? { metadata } : {}) });
}

function findEntry(checkpoint: Checkpoint, name: string) {
  return checkpoint.stateDicts.find((d) => d.name === name);
}

function pathOf(name: string, base: Checkpoint, source: Checkpoint): PyKey[] {
  const entry = findEntry(base, name) ?? findEntry(source, name);
  invariant(entry, `state dict "${name}" is in neither checkpoint`);
  return entry.path;
}

/** Returns `root` with the value at `path` replaced, copying the dicts along the path (inputs stay untouched). */
function setAtPath(root: PyValue, path: readonly PyKey[], value: PyValue): PyValue {
  if (path.length === 0) return value;
  const dict = isDict(root) ? root : pyDict();
  const [head, ...rest] = path as [PyKey, ...PyKey[]];
  const copy: PyDict = { ...dict, entries: new Map(dict.entries) };
  copy.entries.set(head, setAtPath(dict.entries.get(head) ?? null, rest, value));
  return copy;
}

/** Returns `root` without optimizer/scheduler state at the top level or under `model` (robomimic keeps it there). */
function dropTrainingState(root: PyValue, notes: string[]): PyValue {
  if (!isDict(root)) return root;
  const top = withoutTrainingState(root, '', notes);
  const model = top.entries.get('model');
  if (isDict(model)) top.entries.set('model', withoutTrainingState(model, 'model.', notes));
  return top;
}

function withoutTrainingState(dict: PyDict, prefix: string, notes: string[]): PyDict {
  const copy: PyDict = { ...dict, entries: new Map(dict.entries) };
  for (const key of dict.entries.keys()) {
    if (typeof key !== 'string' || !TRAINING_STATE_KEYS.has(key)) continue;
    copy.entries.delete(key);
    notes.push(`Dropped "${prefix}${key}": optimizer/scheduler state refers to the old parameters.`);
  }
  return copy;
}

function recordProvenance(root: PyValue, provenance: unknown, rootIsStateDict: boolean): PyValue {
  const json = JSON.stringify(provenance);
  if (!isDict(root)) return root;
  if (!rootIsStateDict) {
    const copy: PyDict = { ...root, entries: new Map(root.entries) };
    copy.entries.set(PROVENANCE_KEY, json);
    return copy;
  }
  // A bare state dict must hold only tensors; torch ignores `_metadata` entries that name no module.
  const metadata = isDict(root.metadata) ? root.metadata : pyDict();
  return { ...root, metadata: pyDict([...metadata.entries, [PROVENANCE_KEY, pyDict({ json })]], { ordered: metadata.ordered }) };
}
