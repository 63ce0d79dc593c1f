/**
 * A canonical, comparable rendering of a checkpoint tree, produced the same way by real torch
 * (`torchDump`) and by our reader (`ourDump`): containers with order and kind, scalars exactly
 * (floats by their IEEE bits), tensors with dtype, shape, stride, offset, flags, a storage
 * identity number (aliasing) and the sha256 of their contiguous element bytes.
 */
import { createHash } from 'node:crypto';
import { readTensor } from '../../src/checkpoint/read-tensor.ts';
import type { PyValue, Storage } from '../../src/checkpoint/types.ts';
import { runPython } from './torch.ts';

export type Canon = null | boolean | string | Canon[] | { [key: string]: Canon };

const PYTHON_DUMP = String.raw`
import sys, json, struct, hashlib, collections, torch
weights_only = len(sys.argv) > 1 and sys.argv[1] == '--weights-only'
paths = sys.argv[2:] if weights_only else sys.argv[1:]
def load(path):
    return torch.load(path, map_location='cpu', weights_only=weights_only)
storage_ids = {}
def storage_id(t):
    s = t.storage()
    if s.nbytes() == 0:
        return None
    key = s.data_ptr()
    if key not in storage_ids:
        storage_ids[key] = str(len(storage_ids))
    return storage_ids[key]
def tensor_bytes(t):
    flat = t.detach().contiguous().reshape(-1)
    if flat.dtype == torch.bfloat16:
        flat = flat.view(torch.int16)
    return flat.numpy().tobytes()
def canon(v):
    if isinstance(v, torch.Tensor):
        return {'tensor': {'dtype': str(v.dtype)[6:], 'shape': [str(d) for d in v.shape], 'stride': [str(d) for d in v.stride()],
                'offset': str(v.storage_offset()), 'requiresGrad': bool(v.requires_grad), 'parameter': isinstance(v, torch.nn.Parameter),
                'storage': storage_id(v), 'sha256': hashlib.sha256(tensor_bytes(v)).hexdigest()}}
    if isinstance(v, dict):
        out = {'dict': [[canon(k), canon(x)] for k, x in v.items()], 'ordered': isinstance(v, collections.OrderedDict)}
        if hasattr(v, '_metadata'):
            out['metadata'] = canon(v._metadata)
        return out
    if isinstance(v, list):
        return [canon(x) for x in v]
    if isinstance(v, tuple):
        return {'tuple': [canon(x) for x in v]}
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': struct.pack('>d', v).hex()}
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return {'bytes': v.hex()}
    raise TypeError(type(v))
def dump(path):
    storage_ids.clear()
    return canon(load(path))
print(json.dumps([dump(path) for path in paths]))
`;

/** Returns real torch's canonical rendering of the checkpoint at `path` (`torch.load`, map_location cpu). */
export function torchDump(path: string): Canon {
  return torchDumps([path])[0]!;
}

/**
 * Returns `torchDump` of several files from one Python process (importing torch takes a second);
 * with `weightsOnly`, torch loads them as `torch.load(weights_only=True)` does.
 */
export function torchDumps(paths: string[], options: { weightsOnly?: boolean } = {}): Canon[] {
  return JSON.parse(runPython(PYTHON_DUMP, options.weightsOnly ? ['--weights-only', ...paths] : paths)) as Canon[];
}

/** Returns our reader's canonical rendering of `root`, reading every tensor's bytes. */
export async function ourDump(root: PyValue): Promise<Canon> {
  const ids = new Map<Storage, string>();
  // One item after another, as Python walks them: storages are numbered in order of first use, and
  // items rendered concurrently would number them in the order their reads finish.
  const canonEach = async (items: PyValue[]): Promise<Canon[]> => {
    const out: Canon[] = [];
    for (const item of items) out.push(await canon(item));
    return out;
  };
  const canon = async (value: PyValue): Promise<Canon> => {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number') return Number.isInteger(value) ? { int: String(value) } : { float: floatHex(value) };
    if (typeof value === 'bigint') return { int: String(value) };
    if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
    if (Array.isArray(value)) return canonEach(value);
    switch (value.kind) {
      case 'float':
        return { float: floatHex(value.value) };
      case 'tuple':
        return { tuple: await canonEach(value.items) };
      case 'dict': {
        const items: Canon[] = [];
        for (const [key, item] of value.entries) items.push([await canon(key), await canon(item)]);
        const out: Record<string, Canon> = { dict: items, ordered: value.ordered };
        if (value.metadata !== undefined) out.metadata = await canon(value.metadata);
        return out;
      }
      case 'tensor': {
        const data = await readTensor(value);
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const empty = value.storage.numel === 0;
        if (!empty && !ids.has(value.storage)) ids.set(value.storage, String(ids.size));
        return {
          tensor: {
            dtype: value.storage.dtype,
            shape: value.shape.map(String),
            stride: value.stride.map(String),
            offset: String(value.storageOffset),
            requiresGrad: value.requiresGrad,
            parameter: value.parameter,
            storage: empty ? null : ids.get(value.storage)!,
            sha256: createHash('sha256').update(bytes).digest('hex'),
          },
        };
      }
      case 'opaque':
        return { opaque: `${value.module}.${value.name}`, args: await canonEach(value.args) };
    }
  };
  return canon(root);
}

function floatHex(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, false);
  return Buffer.from(view.buffer).toString('hex');
}
