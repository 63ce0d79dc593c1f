/**
 * Reads a safetensors file's header: an 8-byte little-endian length, a JSON table of tensors with
 * byte ranges into the data section, and optional `__metadata__`. Tensor bytes are not read.
 */
import { InputError } from '../input-error.ts';
import { numelOf, contiguousStride } from './py-value.ts';
import { MAX_TENSOR_DIMS } from './pickle/torch-globals.ts';
import { readRange } from './storage-bytes.ts';
import { DTYPE_SIZE, type Checkpoint, type DType, type PyDict, type Tensor } from './types.ts';

/** The reference implementation refuses headers over 100 MB; so do we. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** safetensors dtype names ↔ ours (only the dtypes torch checkpoints hold). */
export const SAFETENSORS_DTYPE: Readonly<Record<string, DType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
  C64: 'complex64',
};

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Returns the checkpoint in the safetensors file at `path`: a flat state dict at the root. */
export async function readSafetensors(path: string, fileSize: number): Promise<Omit<Checkpoint, 'stateDicts'>> {
  const lengthBytes = await readRange(path, 0, 8);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_SAFETENSORS_HEADER)) throw new InputError('format/safetensors-header', path, `the header declares ${headerLength} bytes, more than the ${MAX_SAFETENSORS_HEADER} allowed.`, { offset: 0 });
  if (Number(headerLength) + 8 > fileSize) throw new InputError('format/truncated', path, `the ${headerLength}-byte header runs past the end of the ${fileSize}-byte file.`, { offset: 0 });
  const dataStart = 8 + Number(headerLength);
  const header = parseHeader(path, await readRange(path, 8, Number(headerLength)));
  const { entries, metadata } = checkEntries(path, header, fileSize - dataStart);
  const root: PyDict = { kind: 'dict', ordered: true, entries: new Map() };
  for (const entry of entries) root.entries.set(entry.name, tensorOf(path, entry, dataStart));
  return { path, format: 'safetensors', fileSize, root, ...(metadata ? { metadata } : {}) };
}

function parseHeader(path: string, bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InputError('format/safetensors-header', path, `the header is not valid JSON (${(error as Error).message}).`, { offset: 8 });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InputError('format/safetensors-header', path, 'the header is not a JSON object.', { offset: 8 });
  return parsed as Record<string, unknown>;
}

function checkEntries(path: string, header: Record<string, unknown>, dataLength: number): { entries: HeaderEntry[]; metadata?: Record<string, string> } {
  const fail = (name: string, detail: string): never => {
    throw new InputError('format/safetensors-header', path, `tensor "${name}": ${detail}`, { offset: 8 });
  };
  let metadata: Record<string, string> | undefined;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(path, raw);
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (raw ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE, dtype)) return fail(name, `unsupported dtype ${JSON.stringify(dtype)}.`);
    if (!Array.isArray(shape) || shape.length > MAX_TENSOR_DIMS || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) return fail(name, 'the shape is not a list of non-negative integers.');
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((at) => Number.isSafeInteger(at) && at >= 0)) return fail(name, 'data_offsets is not [begin, end].');
    const [begin, end] = offsets as [number, number];
    const ours = SAFETENSORS_DTYPE[dtype]!;
    const expected = numelOf(shape) * DTYPE_SIZE[ours];
    if (end < begin || end - begin !== expected) return fail(name, `data_offsets [${begin}, ${end}) do not hold the ${expected} bytes its shape and dtype need.`);
    if (end > dataLength) return fail(name, `data_offsets end at ${end}, past the ${dataLength}-byte data section.`);
    entries.push({ name, dtype: ours, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let index = 1; index < entries.length; index++) {
    if (entries[index]!.begin < entries[index - 1]!.end) fail(entries[index]!.name, `its bytes overlap those of "${entries[index - 1]!.name}".`);
  }
  return metadata ? { entries, metadata } : { entries };
}

function checkMetadata(path: string, raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((value) => typeof value === 'string')) {
    throw new InputError('format/safetensors-header', path, '__metadata__ must map strings to strings.', { offset: 8 });
  }
  return { ...(raw as Record<string, string>) };
}

function tensorOf(path: string, entry: HeaderEntry, dataStart: number): Tensor {
  const offset = dataStart + entry.begin;
  return {
    kind: 'tensor',
    storage: { dtype: entry.dtype, numel: numelOf(entry.shape), key: entry.name, source: { kind: 'file', path, offset: () => Promise.resolve(offset) } },
    storageOffset: 0,
    shape: entry.shape,
    stride: contiguousStride(entry.shape),
    requiresGrad: false,
    parameter: false,
  };
}
