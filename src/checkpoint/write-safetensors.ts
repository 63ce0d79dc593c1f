/**
 * Writes a flat state dict as safetensors: an 8-byte header length, a JSON header (padded with
 * spaces to 8 bytes) and each tensor's contiguous bytes. safetensors forbids shared or
 * overlapping data, so every key gets its own copy; views are gathered into contiguous form.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../input-error.ts';
import { copyBuffers, copyRange, writeFully, type CopyBuffers } from './copy-range.ts';
import { isTensor, isWholeContiguous, numelOf } from './py-value.ts';
import { readTensor } from './read-tensor.ts';
import { SAFETENSORS_DTYPE } from './read-safetensors.ts';
import { countStorageRead } from './storage-bytes.ts';
import { DTYPE_SIZE, type DType, type PyValue, type Tensor } from './types.ts';

const NAME_OF = Object.fromEntries(Object.entries(SAFETENSORS_DTYPE).map(([name, dtype]) => [dtype, name])) as Record<DType, string>;

/** Returns the tensors of `root` by key when it is a dict of tensors with string keys; throws otherwise. */
export function safetensorsEntries(root: PyValue, destination: string): Array<[string, Tensor]> {
  if (typeof root !== 'object' || root === null || Array.isArray(root) || root instanceof Uint8Array || root.kind !== 'dict') {
    throw new InputError('output/not-a-state-dict', destination, 'safetensors holds one flat dict of tensors; pick a state dict to write.');
  }
  const entries: Array<[string, Tensor]> = [];
  for (const [key, value] of root.entries) {
    if (typeof key !== 'string' || !isTensor(value)) throw new InputError('output/not-a-state-dict', destination, `entry "${String(key)}" is not a tensor; safetensors holds only tensors.`);
    entries.push([key, value]);
  }
  return entries;
}

/** Writes `entries` (and string `metadata`) into `handle` as safetensors; returns the file size. */
export async function writeSafetensors(handle: FileHandle, entries: Array<[string, Tensor]>, metadata?: Record<string, string>): Promise<number> {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let end = 0;
  for (const [key, tensor] of entries) {
    const size = numelOf(tensor.shape) * DTYPE_SIZE[tensor.storage.dtype];
    header[key] = { dtype: NAME_OF[tensor.storage.dtype], shape: tensor.shape, data_offsets: [end, end + size] };
    end += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  await writeFully(handle, prefix, 8, 0);
  await writeFully(handle, headerBytes, headerBytes.byteLength, 8);
  let at = 8 + headerBytes.byteLength;
  const sources = new Map<string, FileHandle>();
  const buffers = copyBuffers();
  try {
    for (const [, tensor] of entries) at += await writeTensorData(handle, at, tensor, sources, buffers);
  } finally {
    for (const source of sources.values()) await source.close();
  }
  return at;
}

async function writeTensorData(handle: FileHandle, at: number, tensor: Tensor, sources: Map<string, FileHandle>, buffers: CopyBuffers): Promise<number> {
  const source = tensor.storage.source;
  const size = numelOf(tensor.shape) * DTYPE_SIZE[tensor.storage.dtype];
  if (source.kind === 'file' && source.deflatedSize === undefined && isWholeContiguous(tensor)) {
    let input = sources.get(source.path);
    if (!input) {
      input = await open(source.path, 'r');
      sources.set(source.path, input);
    }
    countStorageRead(size);
    await copyRange({ handle: input, path: source.path, offset: await source.offset(), member: tensor.storage.key }, handle, at, size, false, buffers);
    return size;
  }
  const data = await readTensor(tensor);
  await writeFully(handle, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), size, at);
  return size;
}
