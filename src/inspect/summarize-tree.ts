/**
 * Summarises a checkpoint's value tree for `surgery inspect`: containers with their sizes and
 * children, scalars with a short preview, state dicts as one line (their keys are listed apart).
 */
import { isPyFloat } from '../checkpoint/py-value.ts';
import type { PyKey, PyValue } from '../checkpoint/types.ts';

/** One node of the summarised tree; `children` only for containers that are not state dicts. */
export interface TreeNode {
  /** Python-ish type name: `dict`, `OrderedDict`, `list`, `tuple`, `str`, `int`, `float`, `Tensor`, … */
  type: string;
  /** Item count for containers, length for str/bytes. */
  size?: number;
  /** A short rendering of scalars and small lists. */
  preview?: string;
  /** Set when this dict is a state dict: its name in the report's state-dict list. */
  stateDict?: string;
  children?: Array<{ key: string; node: TreeNode }>;
}

/** Previews longer than this are cut with an ellipsis. */
export const MAX_PREVIEW = 72;
/** Containers with more items than this list only the first ones. */
export const MAX_CHILDREN = 50;

/** Returns the summary of `value`; `stateDictNames` maps each state dict object to its name. */
export function summarizeTree(value: PyValue, stateDictNames: Map<object, string>): TreeNode {
  if (value === null) return { type: 'None', preview: 'None' };
  if (typeof value === 'boolean') return { type: 'bool', preview: value ? 'True' : 'False' };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', preview: String(value) } : { type: 'float', preview: String(value) };
  if (typeof value === 'bigint') return { type: 'int', preview: String(value) };
  if (typeof value === 'string') return { type: 'str', size: value.length, preview: cut(JSON.stringify(value)) };
  if (value instanceof Uint8Array) return { type: 'bytes', size: value.byteLength };
  if (Array.isArray(value)) return sequence('list', value, stateDictNames);
  switch (value.kind) {
    case 'float':
      return { type: 'float', preview: value.value.toFixed(1) };
    case 'tuple':
      return sequence('tuple', value.items, stateDictNames);
    case 'tensor':
      return { type: value.parameter ? 'Parameter' : 'Tensor', preview: `[${value.shape.join(', ')}] ${value.storage.dtype}` };
    case 'opaque':
      return { type: `${value.module}.${value.name}` };
    case 'dict': {
      const node: TreeNode = { type: value.ordered ? 'OrderedDict' : 'dict', size: value.entries.size };
      const stateDict = stateDictNames.get(value);
      if (stateDict !== undefined) return { ...node, stateDict };
      node.children = [...value.entries].slice(0, MAX_CHILDREN).map(([key, child]) => ({ key: keyText(key), node: summarizeTree(child, stateDictNames) }));
      return node;
    }
  }
}

function sequence(type: string, items: PyValue[], stateDictNames: Map<object, string>): TreeNode {
  if (items.every((item) => item === null || typeof item !== 'object' || isPyFloat(item))) {
    return { type, size: items.length, preview: cut(`[${items.map((item) => summarizeTree(item, stateDictNames).preview).join(', ')}]`) };
  }
  return { type, size: items.length, children: items.slice(0, MAX_CHILDREN).map((item, index) => ({ key: `[${index}]`, node: summarizeTree(item, stateDictNames) })) };
}

function keyText(key: PyKey): string {
  return typeof key === 'string' ? key : String(key);
}

function cut(text: string): string {
  return text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW - 1)}…` : text;
}
