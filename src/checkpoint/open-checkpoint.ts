/**
 * Opens a checkpoint of any supported format, recognised by its content (never its extension):
 * torch zip, torch legacy, or safetensors. Reads headers and pickles only, never tensor bytes.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../input-error.ts';
import { findStateDicts } from './find-state-dicts.ts';
import { LEGACY_MAGIC } from './legacy-magic.ts';
import { readRange } from './storage-bytes.ts';
import type { Checkpoint, CheckpointFormat } from './types.ts';

/** The first bytes of a protocol-1 legacy file: LONG opcode, then the magic number in decimal. */
const LEGACY_MAGIC_TEXT = new TextEncoder().encode(`L${LEGACY_MAGIC}`).subarray(0, 16);

/** Returns the opened checkpoint at `path` (its tree, state dicts and lazy storages). */
export async function openCheckpoint(path: string): Promise<Checkpoint> {
  const absolute = resolve(path);
  const fileSize = await sizeOf(absolute, path);
  const head = await readRange(absolute, 0, Math.min(fileSize, 16));
  const format = detectFormat(head, fileSize);
  if (!format) {
    throw new InputError('format/unknown', absolute, 'the file is neither a PyTorch checkpoint (zip or legacy pickle) nor safetensors; check that it is the right file.', { offset: 0 });
  }
  const checkpoint = await (await readerOf(format))(absolute, fileSize);
  return { ...checkpoint, stateDicts: findStateDicts(checkpoint.root) };
}

/** Returns the reader of `format`, loaded on use: a fresh `plan` pays only for the one its file needs. */
async function readerOf(format: CheckpointFormat): Promise<(path: string, fileSize: number) => Promise<Omit<Checkpoint, 'stateDicts'>>> {
  if (format === 'torch-zip') return (await import('./read-torch-zip.ts')).readTorchZip;
  if (format === 'torch-legacy') return (await import('./read-torch-legacy.ts')).readTorchLegacy;
  return (await import('./read-safetensors.ts')).readSafetensors;
}

/** Returns the format the first bytes of a file announce, or undefined. */
export function detectFormat(head: Uint8Array, fileSize: number): CheckpointFormat | undefined {
  // safetensors first: its 8-byte header length can begin with "PK", but a zip never has "{" at byte 8.
  if (head.byteLength >= 9 && head[8] === 0x7b) {
    const headerLength = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (headerLength + 8n <= BigInt(fileSize)) return 'safetensors';
  }
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'torch-zip';
  // torch's legacy format starts with a pickle of its magic number in the protocol torch.save was
  // given: PROTO 2 by default, PROTO 3-5 for pickle_protocol=3..5, and for protocol 1 (no PROTO
  // opcode) the text LONG "L<magic>L\n". Protocol 0 cannot hold torch's persistent ids.
  if (head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'torch-legacy';
  if (startsWith(head, LEGACY_MAGIC_TEXT)) return 'torch-legacy';
  return undefined;
}

function startsWith(head: Uint8Array, prefix: Uint8Array): boolean {
  return head.byteLength >= prefix.byteLength && prefix.every((byte, index) => head[index] === byte);
}

async function sizeOf(absolute: string, given: string): Promise<number> {
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new InputError('io/not-a-file', given, 'is not a regular file.');
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('io/unreadable', given, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}
