/**
 * Copies a byte range from one open file to a position in another through two alternating
 * buffers (the next read overlaps the previous write), optionally computing the CRC-32 on the way.
 * Node exposes no ranged copy_file_range, and this keeps memory flat at two chunks whatever the size.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { InputError } from '../input-error.ts';
import { MAX_IO_CHUNK } from './storage-bytes.ts';

/** Bytes per read/write; large enough to amortise syscalls, small enough to keep peak memory flat. */
export const COPY_CHUNK = 8 * 1024 * 1024;

/** Two reusable copy buffers; a writer makes one pair and passes it to every copy it does. */
export type CopyBuffers = [Buffer, Buffer];

/** Returns a fresh pair of copy buffers. */
export function copyBuffers(): CopyBuffers {
  return [Buffer.allocUnsafe(COPY_CHUNK), Buffer.allocUnsafe(COPY_CHUNK)];
}

/** Copies `length` bytes and returns their CRC-32 when `withCrc` is set (else undefined). */
export async function copyRange(
  source: { handle: FileHandle; path: string; offset: number; member?: string },
  target: FileHandle,
  targetOffset: number,
  length: number,
  withCrc: boolean,
  buffers: CopyBuffers = copyBuffers(),
): Promise<number | undefined> {
  let crc = 0;
  let writing: Promise<void> = Promise.resolve();
  for (let done = 0, turn = 0; done < length; turn ^= 1) {
    const size = Math.min(COPY_CHUNK, length - done);
    const buffer = buffers[turn]!;
    await readFully(source, buffer, size, source.offset + done);
    if (withCrc) crc = crc32(buffer.subarray(0, size), crc);
    await writing;
    writing = writeFully(target, buffer, size, targetOffset + done);
    done += size;
  }
  await writing;
  return withCrc ? crc : undefined;
}

async function readFully(source: { handle: FileHandle; path: string; member?: string }, buffer: Buffer, size: number, position: number): Promise<void> {
  for (let got = 0; got < size; ) {
    const { bytesRead } = await source.handle.read(buffer, got, size - got, position + got);
    if (bytesRead === 0) throw new InputError('format/truncated', source.path, `the source ends inside a storage it must copy (at ${position + got}).`, { member: source.member, offset: position + got });
    got += bytesRead;
  }
}

/** Writes `size` bytes of `buffer` at `position`, looping over short writes. */
export async function writeFully(target: FileHandle, buffer: Uint8Array, size: number, position: number): Promise<void> {
  for (let put = 0; put < size; ) {
    const { bytesWritten } = await target.write(buffer, put, Math.min(size - put, MAX_IO_CHUNK), position + put);
    put += bytesWritten;
  }
}
