/**
 * Turns pickleparser's raw output (arrays, Maps, and the objects our globals built) into the tagged
 * `PyValue` tree, keeping shared references shared and refusing cycles, absurd depth and trees
 * that shared references would blow up when walked.
 */
import type { PyDict, PyKey, PyValue } from '../types.ts';
import { OrderedMap, StorageClass, type FailAt, type RawOpaque } from './torch-globals.ts';

/** The symbol-keyed property that marks an array as a Python tuple (set through the checker's rewrite). */
export const TUPLE_TAG = Symbol.for('surgery.tuple');
/** Checkpoint trees nest a dozen levels; Python's own unpickler stops recursing near 1000. */
export const MAX_VALUE_DEPTH = 500;
/** Bounds any later walk of the tree: shared references count once per place they appear. */
export const MAX_TREE_NODES = 20_000_000;

/** Returns the `PyValue` for a raw unpickled value; `opcodes` bounds how long an honest container can be. */
export function toPyValue(raw: unknown, fail: FailAt, opcodes: number): PyValue {
  const done = new Map<object, { value: PyValue; weight: number }>();
  const active = new Set<object>();

  const visit = (node: unknown, depth: number): { value: PyValue; weight: number } => {
    if (node === null || typeof node !== 'object') return { value: scalar(node, fail), weight: 1 };
    const seen = done.get(node);
    if (seen) return seen;
    if (active.has(node)) fail('format/unsupported-value', 'the pickle holds a container that contains itself.');
    if (depth > MAX_VALUE_DEPTH) fail('format/pickle-limit', `values nest deeper than ${MAX_VALUE_DEPTH} levels.`);
    active.add(node);
    const result = convert(node, (child) => visit(child, depth + 1));
    active.delete(node);
    if (result.weight > MAX_TREE_NODES) fail('format/pickle-limit', `shared references expand the value tree past ${MAX_TREE_NODES} nodes.`);
    done.set(node, result);
    return result;
  };

  const convert = (node: object, child: (raw: unknown) => { value: PyValue; weight: number }): { value: PyValue; weight: number } => {
    let weight = 1;
    const take = (raw: unknown): PyValue => {
      // Leaves (most of a state dict's values) skip the visit's bookkeeping object.
      if (raw === null || typeof raw !== 'object') return (weight += 1, scalar(raw, fail));
      const converted = child(raw);
      weight += converted.weight;
      return converted.value;
    };
    if (node instanceof Uint8Array) return { value: node.slice(), weight };
    if (Array.isArray(node)) {
      // BUILD can set `length` on an array; nothing honest is longer than the opcode count.
      if (node.length > opcodes) fail('format/unsupported-value', `a list claims ${node.length} items in a pickle of ${opcodes} opcodes.`);
      const items = Array.from(node, take);
      return { value: (node as unknown as Record<symbol, unknown>)[TUPLE_TAG] ? { kind: 'tuple', items } : items, weight };
    }
    if (node instanceof Map) {
      const dict: PyDict = { kind: 'dict', ordered: node instanceof OrderedMap, entries: new Map<PyKey, PyValue>() };
      for (const [key, value] of node) dict.entries.set(take(key) as PyKey, take(value));
      if (node instanceof OrderedMap && node.metadata !== undefined) dict.metadata = take(node.metadata);
      return { value: dict, weight };
    }
    if (node instanceof StorageClass) fail('format/unsupported-value', `the storage class "${node.name}" appears as a value.`);
    const tagged = node as { kind?: unknown };
    if (tagged.kind === 'tensor' || tagged.kind === 'float') return { value: node as PyValue, weight };
    if (tagged.kind === 'opaque') {
      const opaque = node as RawOpaque;
      return { value: { kind: 'opaque', module: opaque.module, name: opaque.name, args: opaque.args.map(take) }, weight };
    }
    if ('numel' in node && 'source' in node) fail('format/unsupported-value', 'a bare storage appears as a value; surgery reads tensors, not storages. Save a tensor over it instead (torch.empty(0, dtype=s.dtype).set_(s) for a storage s).');
    return fail('format/unsupported-value', 'the pickle holds a bare function or class reference as a value.');
  };

  return visit(raw, 0).value;
}

function scalar(node: unknown, fail: FailAt): PyValue {
  if (node === null) return null;
  switch (typeof node) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return node;
    case 'undefined':
      return fail('format/bad-pickle', 'the pickle reads a value that was never pushed.');
    default:
      return fail('format/unsupported-value', 'the pickle holds a bare function reference as a value.');
  }
}
