/**
 * Writes a value tree as a torch zip checkpoint: `data.pkl` (protocol 2), `byteorder`, one member
 * per storage (each shared storage once), and `version`. Storages read from a checkpoint are
 * streamed from their source range with their recorded CRC; new ones are written from memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { copyBuffers, copyRange, writeFully, type CopyBuffers } from './copy-range.ts';
import type { Pickled } from './pickle/pickle-value.ts';
import { countStorageRead, readStorageBytes, storageByteLength } from './storage-bytes.ts';
import type { Storage } from './types.ts';
import { ZipWriter } from './zip/zip-writer.ts';

/** The serialization version torch ≥ 1.6 writes and reads. */
const TORCH_ZIP_VERSION = '3\n';
const encoder = new TextEncoder();
/** How many storages ahead of the copy their offsets are looked up. */
const OFFSETS_AHEAD = 16;

/** Writes the pickled tree and its storages into `handle` as archive `archiveName`; returns the file size. */
export async function writeTorchZip(handle: FileHandle, pickled: Pickled, archiveName: string): Promise<number> {
  const zip = new ZipWriter(handle);
  const sources = new Map<string, FileHandle>();
  const buffers = copyBuffers();
  try {
    await addBytes(zip, handle, `${archiveName}/data.pkl`, pickled.bytes);
    await addBytes(zip, handle, `${archiveName}/byteorder`, encoder.encode('little'));
    const storages = pickled.storages;
    for (let i = 0; i < Math.min(OFFSETS_AHEAD, storages.length); i++) prefetchOffset(storages[i]!.storage);
    for (let i = 0; i < storages.length; i++) {
      if (i + OFFSETS_AHEAD < storages.length) prefetchOffset(storages[i + OFFSETS_AHEAD]!.storage);
      await addStorage(zip, handle, `${archiveName}/data/${storages[i]!.key}`, storages[i]!.storage, sources, buffers);
    }
    await addBytes(zip, handle, `${archiveName}/version`, encoder.encode(TORCH_ZIP_VERSION));
    return await zip.finish();
  } finally {
    for (const source of sources.values()) await source.close();
  }
}

function addBytes(zip: ZipWriter, handle: FileHandle, name: string, bytes: Uint8Array): Promise<void> {
  return zip.add(name, bytes.byteLength, async (offset) => {
    await writeFully(handle, bytes, bytes.byteLength, offset);
    return crc32(bytes);
  });
}

/**
 * Starts resolving a storage's data offset. For a zip member that costs an open, a header read and
 * a close; looked up a window ahead, they overlap one another and the copies instead of stalling
 * before each storage (630 storages: ~100 ms one by one). The window bounds the descriptors open at
 * once. Offsets are memoised, so `addStorage` awaits the same promise and its errors surface there.
 */
function prefetchOffset(storage: Storage): void {
  if (storage.source.kind === 'file' && storage.source.deflatedSize === undefined) storage.source.offset().catch(() => undefined);
}

async function addStorage(zip: ZipWriter, handle: FileHandle, name: string, storage: Storage, sources: Map<string, FileHandle>, buffers: CopyBuffers): Promise<void> {
  const source = storage.source;
  const size = storageByteLength(storage);
  if (source.kind === 'memory' || source.deflatedSize !== undefined) {
    return addBytes(zip, handle, name, await readStorageBytes(storage));
  }
  let input = sources.get(source.path);
  if (!input) {
    input = await open(source.path, 'r');
    sources.set(source.path, input);
  }
  const from = { handle: input, path: source.path, offset: await source.offset(), member: storage.key };
  const known = source.crc32;
  countStorageRead(size);
  await zip.add(name, size, async (offset) => (await copyRange(from, handle, offset, size, known === undefined, buffers)) ?? known!, known);
}
