/**
 * Builds checkpoint files byte by byte for hostile-input and fuzz tests: raw pickles from opcode
 * lists, torch zips around a given data.pkl (through our zip writer, whose output torch loads),
 * and small valid checkpoints to damage.
 */
import { open, writeFile } from 'node:fs/promises';
import { tensorFromArray } from '../../src/checkpoint/tensor-from-array.ts';
import { pyDict } from '../../src/checkpoint/py-value.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { ZipWriter } from '../../src/checkpoint/zip/zip-writer.ts';
import { crc32 } from 'node:zlib';
import { writeFully } from '../../src/checkpoint/copy-range.ts';

/** Returns pickle bytes from opcode bytes, text (latin1) and byte arrays, in order. */
export function pickleBytes(...parts: Array<number | string | Uint8Array>): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'number' ? Uint8Array.of(part) : typeof part === 'string' ? Buffer.from(part, 'latin1') : part));
  return Uint8Array.from(Buffer.concat(chunks));
}

/** Returns the 4 little-endian bytes of `value`. */
export function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/** Writes a zip holding `members` (name → bytes) at `path`. */
export async function writeZip(path: string, members: Array<[string, Uint8Array]>): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const zip = new ZipWriter(handle);
    for (const [name, bytes] of members) {
      await zip.add(name, bytes.byteLength, async (offset) => {
        await writeFully(handle, bytes, bytes.byteLength, offset);
        return crc32(bytes);
      });
    }
    await zip.finish();
  } finally {
    await handle.close();
  }
}

/** Writes a torch zip whose data.pkl is `pickle`, plus the given storage members (`data/<key>`). */
export function writeTorchZipWith(path: string, pickle: Uint8Array, storages: Array<[string, Uint8Array]> = []): Promise<void> {
  return writeZip(path, [['archive/data.pkl', pickle], ...storages.map(([key, bytes]): [string, Uint8Array] => [`archive/data/${key}`, bytes]), ['archive/version', Buffer.from('3\n')]]);
}

/** Writes a small valid checkpoint (a nested dict with an aliased tensor and a view) at `path`. */
export async function writeSmallCheckpoint(path: string, format: 'torch-zip' | 'safetensors' = 'torch-zip'): Promise<void> {
  const weight = tensorFromArray(Float32Array.from({ length: 12 }, (_, index) => index - 5.5), [3, 4]);
  const bias = tensorFromArray(Int32Array.of(7, -8, 9), [3]);
  if (format === 'safetensors') {
    await writeCheckpoint(path, pyDict([['w', weight], ['b', bias]]), { format });
    return;
  }
  const row = { ...weight, storageOffset: 4, shape: [4], stride: [1] };
  const nets = pyDict([['w', weight], ['alias', weight], ['row', row], ['b', bias]]);
  await writeCheckpoint(path, pyDict([['model', pyDict([['nets', nets]], { ordered: false })], ['epoch', 3]], { ordered: false }), { format });
}

/** Writes `bytes` to `path`. */
export function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  return writeFile(path, bytes);
}

/**
 * Writes a sparse safetensors file holding one float32 tensor "w" of `mebibytes` MiB of zeros,
 * big enough that copying it takes a moment to interrupt, yet costing no disk until copied.
 */
export async function writeSparseSafetensors(path: string, mebibytes: number): Promise<void> {
  const bytes = mebibytes * 2 ** 20;
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [mebibytes, 2 ** 18], data_offsets: [0, bytes] } }).padEnd(96));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const handle = await open(path, 'w');
  try {
    await handle.write(Buffer.concat([prefix, header]));
    await handle.truncate(8 + header.length + bytes);
  } finally {
    await handle.close();
  }
}
