/**
 * The one place that reads storage (tensor) bytes from disk. It counts what it reads, so a dry
 * run can assert that it never touched tensor data.
 */
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../input-error.ts';
import { invariant } from '../invariant.ts';
import { DTYPE_SIZE, type Storage } from './types.ts';

const stats = { reads: 0, bytes: 0 };
/** Node refuses single reads and writes over 2 GiB; larger ranges go in pieces. */
export const MAX_IO_CHUNK = 1024 * 1024 * 1024;

/** Returns how many storage reads (and bytes) this process has done so far; compare before and after. */
export function storageReadStats(): { reads: number; bytes: number } {
  return { ...stats };
}

/** Records a storage read done elsewhere (a streamed copy), so the counter covers every tensor byte read. */
export function countStorageRead(bytes: number): void {
  stats.reads += 1;
  stats.bytes += bytes;
}

/** Returns a storage's size in bytes. */
export function storageByteLength(storage: Storage): number {
  return storage.numel * DTYPE_SIZE[storage.dtype];
}

/**
 * Returns `byteLength` bytes of a storage starting `byteStart` bytes into it, read from its file
 * (inflated when the container compressed it) or sliced from memory.
 */
export async function readStorageBytes(
  storage: Storage,
  byteStart = 0,
  byteLength = storageByteLength(storage) - byteStart,
): Promise<Uint8Array> {
  const total = storageByteLength(storage);
  invariant(byteStart >= 0 && byteLength >= 0 && byteStart + byteLength <= total, `bytes [${byteStart}, ${byteStart + byteLength}) lie outside a ${total}-byte storage`);
  const source = storage.source;
  if (source.kind === 'memory') return source.bytes.subarray(byteStart, byteStart + byteLength);
  const base = await source.offset();
  stats.reads += 1;
  if (source.deflatedSize !== undefined) {
    const compressed = await readRange(source.path, base, source.deflatedSize, storage.key);
    stats.bytes += compressed.byteLength;
    const inflated = inflateBytes(compressed, total, source.path, storage.key, base);
    return inflated.subarray(byteStart, byteStart + byteLength);
  }
  stats.bytes += byteLength;
  return readRange(source.path, base + byteStart, byteLength, storage.key);
}

function inflateBytes(compressed: Uint8Array, expected: number, path: string, member: string | undefined, offset: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(compressed, { maxOutputLength: Math.max(expected, 1) });
  } catch (error) {
    throw new InputError('format/bad-deflate', path, `the compressed storage does not inflate (${(error as Error).message}); the file is damaged.`, { member, offset });
  }
  if (inflated.byteLength !== expected) {
    throw new InputError('format/storage-size', path, `the compressed storage inflates to ${inflated.byteLength} bytes, not the ${expected} its tensors need.`, { member, offset });
  }
  return inflated;
}

/**
 * Returns exactly `length` bytes of `path` at `offset`, in a fresh, 8-byte-aligned buffer.
 * A short read means the file is truncated.
 */
export async function readRange(path: string, offset: number, length: number, member?: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(new ArrayBuffer(length));
  const handle = await open(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(length - done, MAX_IO_CHUNK), offset + done);
      if (bytesRead === 0) {
        throw new InputError('format/truncated', path, `expected ${length} bytes but the file ends after ${done}; it is truncated.`, { member, offset });
      }
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return bytes;
}
