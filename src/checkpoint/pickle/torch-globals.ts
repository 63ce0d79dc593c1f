/**
 * The allow-list of globals a checkpoint pickle may name (what `torch.load(weights_only=True)`
 * accepts, plus the few plain-Python callables robomimic checkpoints need), and their JavaScript
 * implementations, which build `types.ts` values instead of running anything.
 */
import type { DType, PyOpaque, Storage, Tensor } from '../types.ts';
import type { AllowedGlobal } from './pickle-kinds.ts';

/** torch's legacy typed-storage classes (how every torch version names a storage's dtype in a pickle). */
export const STORAGE_CLASS_DTYPE: Readonly<Record<string, DType>> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
};

/** Tensors have at most this many dimensions in torch (a hostile shape tuple cannot be longer). */
export const MAX_TENSOR_DIMS = 64;

const CALLABLES: Readonly<Record<string, AllowedGlobal>> = {
  'collections.OrderedDict': { role: 'callable', result: 'odict' },
  'torch._utils._rebuild_tensor': { role: 'callable', result: 'tensor' },
  'torch._utils._rebuild_tensor_v2': { role: 'callable', result: 'tensor' },
  'torch._utils._rebuild_parameter': { role: 'callable', result: 'tensor' },
  'torch._utils._rebuild_parameter_with_state': { role: 'callable', result: 'tensor' },
  'torch.device': { role: 'callable', result: 'object' },
  'torch.Size': { role: 'callable', result: 'object' },
  // Protocol 2 pickles Python 3 `bytes` as _codecs.encode(text, 'latin1').
  '_codecs.encode': { role: 'callable', result: 'bytes' },
  // ...except empty bytes, which it writes as bytes().
  '__builtin__.bytes': { role: 'callable', result: 'bytes' },
  'builtins.bytes': { role: 'callable', result: 'bytes' },
};

/** Returns what an allow-listed global is, or undefined for every other name. */
export function allowedTorchGlobal(qualifiedName: string): AllowedGlobal | undefined {
  if (Object.hasOwn(CALLABLES, qualifiedName)) return CALLABLES[qualifiedName];
  const match = /^torch\.(\w+)$/.exec(qualifiedName);
  if (match && Object.hasOwn(STORAGE_CLASS_DTYPE, match[1]!)) return { role: 'storage-type' };
  return undefined;
}

/** A global off the allow-list: the error code and the sentence that says what it is and what to do. */
export interface RefusedGlobal {
  code: string;
  detail: string;
}

/**
 * torch's rebuild functions for tensors surgery cannot represent: readable by torch, but refused
 * here with a way out rather than as a hostile global.
 */
const UNSUPPORTED_TENSORS: Readonly<Record<string, string>> = {
  'torch._utils._rebuild_sparse_tensor': 'a sparse tensor; save it dense (tensor.to_dense()) instead',
  'torch._utils._rebuild_sparse_csr_tensor': 'a sparse tensor; save it dense (tensor.to_dense()) instead',
  'torch._utils._rebuild_qtensor': 'a quantized tensor; save tensor.dequantize() (or tensor.int_repr() with its scale and zero point) instead',
  'torch._utils._rebuild_meta_tensor_no_storage': 'a meta tensor, which has no data; save a real tensor instead',
  'torch._tensor._rebuild_from_type_v2': 'a tensor subclass or a tensor with Python attributes; save a plain tensor (tensor.detach().clone()) instead',
  // torch >= 2.1 pickles dtypes newer than its legacy storage classes (float8, uint16...) this way.
  'torch._utils._rebuild_tensor_v3': 'a tensor of a dtype that has no legacy storage class (float8, uint16, ...), which surgery does not read; save it converted (e.g. tensor.float()) instead',
};

/** Returns why `qualifiedName` (not on the allow-list) is refused; nothing it names is ever run. */
export function refusedTorchGlobal(qualifiedName: string): RefusedGlobal {
  const printable = qualifiedName.replace(/[^\x20-\x7e]/g, '?');
  const unsupported = UNSUPPORTED_TENSORS[qualifiedName];
  if (unsupported) return { code: 'format/unsupported-tensor', detail: `the pickle holds ${unsupported} ("${printable}" is not read; nothing was executed).` };
  // A storage class off the list is a dtype torch has and surgery does not (e.g. complex128).
  if (/^torch\.\w+Storage$/.test(qualifiedName)) {
    return { code: 'format/unsupported-tensor', detail: `the pickle holds a tensor stored as "${printable}", a dtype surgery does not read (nothing was executed); save it converted to one of ${Object.values(STORAGE_CLASS_DTYPE).join(', ')} instead.` };
  }
  // torch.save(model) pickles the module's class; its state dict is what a checkpoint should hold.
  const whatToDo = qualifiedName.startsWith('torch.nn.modules.')
    ? 'it is a whole nn.Module: save model.state_dict() instead of the model'
    : 'save only tensors and plain containers (e.g. model.state_dict()), as torch.load(weights_only=True) requires';
  return { code: 'format/unsafe-global', detail: `the pickle references the global "${printable}", which is not on the allow-list; nothing was executed. If you made this file, ${whatToDo}.` };
}

/** The value a storage-class global resolves to: just its dtype. */
export class StorageClass {
  constructor(readonly name: string, readonly dtype: DType) {
    Object.freeze(this);
  }
}

/** A dict made by `OrderedDict()`; BUILD may then attach torch's `_metadata` to it. */
export class OrderedMap extends Map<unknown, unknown> {
  metadata?: unknown;

  constructor(private readonly fail: FailAt) {
    super();
  }

  __setstate__(state: unknown): void {
    if (!(state instanceof Map)) this.fail('format/unsupported-value', 'an OrderedDict is rebuilt with a state that is not a dict.');
    for (const [key, value] of state) {
      if (key !== '_metadata') this.fail('format/unsupported-value', `an OrderedDict carries the attribute "${String(key)}"; only "_metadata" is kept.`);
      this.metadata = value;
    }
  }
}

/** Throws a typed error at the opcode being executed. */
export type FailAt = (code: string, detail: string) => never;

/** What the implementations need from the reader: errors at the current offset and storage identity. */
export interface GlobalContext {
  fail: FailAt;
  isStorage(value: unknown): value is Storage;
  /** Registers a tensor this reader built, so `_rebuild_parameter` accepts only those. */
  tensors: WeakSet<object>;
}

/** Returns the JavaScript stand-in for an allow-listed global (already checked by `allowedTorchGlobal`). */
export function resolveTorchGlobal(qualifiedName: string, context: GlobalContext): unknown {
  const storageName = /^torch\.(\w+Storage)$/.exec(qualifiedName)?.[1];
  if (storageName) return new StorageClass(storageName, STORAGE_CLASS_DTYPE[storageName]!);
  const { fail } = context;
  switch (qualifiedName) {
    case 'collections.OrderedDict':
      return (...args: unknown[]) => (args.length ? fail('format/unsupported-value', 'OrderedDict is called with arguments.') : new OrderedMap(fail));
    case 'torch._utils._rebuild_tensor':
      return (storage: unknown, offset: unknown, size: unknown, stride: unknown) => rebuildTensor(context, [storage, offset, size, stride, false, new Map()]);
    case 'torch._utils._rebuild_tensor_v2':
      return (...args: unknown[]) => rebuildTensor(context, args);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return (...args: unknown[]) => rebuildParameter(context, args);
    case 'torch.device':
    case 'torch.Size':
      return (...args: unknown[]): RawOpaque => ({ kind: 'opaque', module: 'torch', name: qualifiedName.slice(6), args });
    case '_codecs.encode':
      return (text: unknown, encoding: unknown) => encodeLatin1(fail, text, encoding);
    case '__builtin__.bytes':
    case 'builtins.bytes':
      return (...args: unknown[]) => (args.length ? fail('format/unsupported-value', 'bytes() is only accepted without arguments (empty bytes).') : new Uint8Array(0));
    default:
      return fail('format/unsafe-global', `the global "${qualifiedName}" has no implementation.`);
  }
}

/** An opaque value whose arguments are still raw unpickler output. */
export type RawOpaque = Omit<PyOpaque, 'args'> & { args: unknown[] };

function rebuildTensor(context: GlobalContext, args: unknown[]): Tensor {
  const { fail } = context;
  const [storage, offset, size, stride, requiresGrad, hooks, metadata] = args;
  if (args.length < 6 || args.length > 7) return fail('format/bad-tensor', `_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}.`);
  if (!context.isStorage(storage)) return fail('format/bad-tensor', 'a tensor is rebuilt from something that is not a storage.');
  const storageOffset = checkIndex(fail, offset, 'storage offset');
  const shape = checkDims(fail, size, 'size');
  const strides = checkDims(fail, stride, 'stride');
  if (shape.length !== strides.length) return fail('format/bad-tensor', `a tensor has ${shape.length} sizes but ${strides.length} strides.`);
  if (typeof requiresGrad !== 'boolean') return fail('format/bad-tensor', 'requires_grad is not a bool.');
  checkEmptyHooks(fail, hooks);
  if (metadata !== undefined && metadata !== null && !(metadata instanceof Map && metadata.size === 0)) {
    fail('format/unsupported-value', 'a tensor carries Python attributes (rebuild metadata), which surgery does not keep.');
  }
  const numel = shape.reduce((product, dim) => product * dim, 1);
  if (!Number.isSafeInteger(numel)) return fail('format/bad-tensor', `a tensor of shape [${shape.join(', ')}] is impossibly large.`);
  if (numel > 0) {
    const last = storageOffset + shape.reduce((sum, dim, index) => sum + (dim - 1) * strides[index]!, 0);
    if (last >= storage.numel) return fail('format/view-out-of-bounds', `a tensor view of shape [${shape.join(', ')}] at offset ${storageOffset} reaches element ${last} of a ${storage.numel}-element storage "${storage.key}".`);
  }
  const tensor: Tensor = { kind: 'tensor', storage, storageOffset, shape, stride: strides, requiresGrad, parameter: false };
  context.tensors.add(tensor);
  return tensor;
}

function rebuildParameter(context: GlobalContext, args: unknown[]): Tensor {
  const { fail } = context;
  const [data, requiresGrad, hooks, state] = args;
  if (args.length < 3 || args.length > 4) return fail('format/bad-tensor', `_rebuild_parameter takes 3 or 4 arguments, got ${args.length}.`);
  if (typeof data !== 'object' || data === null || !context.tensors.has(data)) return fail('format/bad-tensor', 'a parameter is rebuilt from something that is not a tensor.');
  if (typeof requiresGrad !== 'boolean') return fail('format/bad-tensor', 'requires_grad is not a bool.');
  checkEmptyHooks(fail, hooks);
  if (state !== undefined && !(state instanceof Map && state.size === 0)) return fail('format/unsupported-value', 'a parameter carries Python attributes, which surgery does not keep.');
  const parameter: Tensor = { ...(data as Tensor), requiresGrad, parameter: true };
  context.tensors.add(parameter);
  return parameter;
}

function checkEmptyHooks(fail: FailAt, hooks: unknown): void {
  if (!(hooks instanceof Map) || hooks.size !== 0) return fail('format/unsupported-value', 'a tensor carries backward hooks, which torch itself refuses to restore.');
}

function checkIndex(fail: FailAt, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return fail('format/bad-tensor', `a tensor's ${what} is not a non-negative integer.`);
  return value;
}

function checkDims(fail: FailAt, value: unknown, what: string): number[] {
  if (!Array.isArray(value)) return fail('format/bad-tensor', `a tensor's ${what} is not a tuple.`);
  if (value.length > MAX_TENSOR_DIMS) return fail('format/bad-tensor', `a tensor's ${what} has ${value.length} dimensions, more than torch's ${MAX_TENSOR_DIMS}.`);
  return value.map((dim) => checkIndex(fail, dim, what));
}

function encodeLatin1(fail: FailAt, text: unknown, encoding: unknown): Uint8Array {
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) return fail('format/unsupported-value', '_codecs.encode is only accepted as protocol 2 uses it for bytes (text, "latin1").');
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0xff) return fail('format/unsupported-value', '_codecs.encode is given a character outside latin-1.');
    bytes[index] = code;
  }
  return bytes;
}
