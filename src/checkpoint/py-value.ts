/**
 * Small constructors, guards and lookups for `PyValue` trees, so callers never hand-build the
 * tagged objects of `types.ts`.
 */
import type { PyDict, PyFloat, PyKey, PyTuple, PyValue, Tensor } from './types.ts';

/** Returns true when `value` is a tensor view. */
export function isTensor(value: PyValue | undefined): value is Tensor {
  return isTagged(value) && value.kind === 'tensor';
}

/** Returns true when `value` is a dict or OrderedDict. */
export function isDict(value: PyValue | undefined): value is PyDict {
  return isTagged(value) && value.kind === 'dict';
}

/** Returns true when `value` is a Python tuple. */
export function isTuple(value: PyValue | undefined): value is PyTuple {
  return isTagged(value) && value.kind === 'tuple';
}

/** Returns true when `value` is a Python list. */
export function isList(value: PyValue | undefined): value is PyValue[] {
  return Array.isArray(value);
}

/** Returns true when `value` is an integral Python float (`1.0`). */
export function isPyFloat(value: PyValue | undefined): value is PyFloat {
  return isTagged(value) && value.kind === 'float';
}

function isTagged(value: PyValue | undefined): value is Exclude<PyValue, null | PyValue[] | Uint8Array> & { kind: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Returns a new dict (an OrderedDict unless `ordered` is false), from a Map, an entry list or a plain
 * object's own string keys.
 */
export function pyDict(
  entries: Map<PyKey, PyValue> | Iterable<[PyKey, PyValue]> | Record<string, PyValue> = [],
  options: { ordered?: boolean; metadata?: PyValue } = {},
): PyDict {
  const map = isIterable(entries) ? new Map<PyKey, PyValue>(entries) : new Map<PyKey, PyValue>(Object.entries(entries));
  const dict: PyDict = { kind: 'dict', ordered: options.ordered ?? true, entries: map };
  if (options.metadata !== undefined) dict.metadata = options.metadata;
  return dict;
}

function isIterable(value: unknown): value is Iterable<[PyKey, PyValue]> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** Returns a Python tuple holding `items`. */
export function pyTuple(items: PyValue[]): PyTuple {
  return { kind: 'tuple', items };
}

/** Returns a value that pickles as a Python float even when integral. */
export function pyFloat(value: number): PyFloat {
  return { kind: 'float', value };
}

/**
 * Returns the value reached by following dict keys from `root` (`[]` is the root itself), or
 * undefined when a key is missing or a step is not a dict.
 */
export function getAtPath(root: PyValue, path: readonly PyKey[]): PyValue | undefined {
  let node: PyValue | undefined = root;
  for (const key of path) {
    if (!isDict(node)) return undefined;
    node = node.entries.get(key);
  }
  return node;
}

/**
 * Returns a copy of `root` with the value at `path` (dict keys) replaced by `value`; the dicts
 * along the path are shallow-copied, everything else is shared. Throws when a step is not a dict.
 */
export function setAtPath(root: PyValue, path: readonly PyKey[], value: PyValue): PyValue {
  if (path.length === 0) return value;
  if (!isDict(root) || !root.entries.has(path[0]!)) throw new RangeError(`setAtPath: no dict key ${String(path[0])}`);
  const entries = new Map(root.entries);
  entries.set(path[0]!, setAtPath(root.entries.get(path[0]!)!, path.slice(1), value));
  return { ...root, entries };
}

/** Returns the number of elements a tensor of `shape` holds (1 for a 0-d tensor). */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Returns the strides of a contiguous (row-major) tensor of `shape`, in elements. */
export function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    stride[dim] = step;
    step *= Math.max(shape[dim]!, 1);
  }
  return stride;
}

/** Returns true when the tensor covers its whole storage in row-major order from offset 0. */
export function isWholeContiguous(tensor: Tensor): boolean {
  if (tensor.storageOffset !== 0 || numelOf(tensor.shape) !== tensor.storage.numel) return false;
  return isContiguous(tensor);
}

/** Returns true when the tensor's elements are laid out row-major without gaps (offset allowed). */
export function isContiguous(tensor: Tensor): boolean {
  const expected = contiguousStride(tensor.shape);
  return tensor.shape.every((size, dim) => size <= 1 || tensor.stride[dim] === expected[dim]);
}
