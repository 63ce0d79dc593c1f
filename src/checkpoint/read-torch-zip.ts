/**
 * Reads a torch zip checkpoint (`torch.save` since 1.6): the central directory and `data.pkl`
 * only. Storages become lazy file ranges whose offsets are resolved from their local headers on
 * first use.
 */
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../input-error.ts';
import type { StorageLoader } from './pickle/unpickle.ts';
import { unpickle } from './pickle/unpickle.ts';
import { StorageClass } from './pickle/torch-globals.ts';
import { readRange } from './storage-bytes.ts';
import { DTYPE_SIZE, type Checkpoint, type Storage } from './types.ts';
import { readZipDirectory, resolveDataOffset, type ZipEntry } from './zip/read-zip-directory.ts';

/** A checkpoint pickle is metadata; anything near this size is not a real one. */
export const MAX_PICKLE_BYTES = 512 * 1024 * 1024;

/** Returns the checkpoint in the torch zip file at `path`, without reading tensor bytes. */
export async function readTorchZip(path: string, fileSize: number): Promise<Omit<Checkpoint, 'stateDicts'>> {
  const entries = await readZipDirectory(path);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const pickles = entries.filter((entry) => /^[^/]+\/data\.pkl$/.test(entry.name));
  if (pickles.length !== 1) {
    throw new InputError('format/not-torch-zip', path, pickles.length ? 'the zip holds more than one "<name>/data.pkl".' : 'the zip has no "<name>/data.pkl", so it is not a torch checkpoint.');
  }
  const pickleEntry = pickles[0]!;
  const archiveName = pickleEntry.name.slice(0, -'/data.pkl'.length);
  // torch tells TorchScript from torch.save archives the same way (`_is_torchscript_zip`).
  if (byName.has(`${archiveName}/constants.pkl`)) {
    throw new InputError('format/torchscript', path, 'the file is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; load it with torch.jit.load and torch.save its state_dict() instead.', { member: `${archiveName}/constants.pkl` });
  }
  await checkByteOrder(path, byName.get(`${archiveName}/byteorder`), fileSize);
  const { bytes, baseOffset } = await readMember(path, pickleEntry, fileSize);
  const loadStorage = storageLoader(path, archiveName, byName, fileSize);
  const { value } = unpickle(bytes, { file: path, member: pickleEntry.name, baseOffset }, loadStorage);
  return { path, format: 'torch-zip', fileSize, root: value, archiveName };
}

async function checkByteOrder(path: string, entry: ZipEntry | undefined, fileSize: number): Promise<void> {
  if (!entry) return;
  if (entry.size > 16) throw new InputError('format/bad-byteorder', path, 'the byteorder record is too long.', { member: entry.name });
  const text = new TextDecoder().decode((await readMember(path, entry, fileSize)).bytes).trim();
  // torch >= 2.1 swaps a big-endian file's bytes on load, so re-saving it there gives a file we read.
  if (text !== 'little') throw new InputError('format/bad-byteorder', path, `the checkpoint is "${text.slice(0, 16)}"-endian; only little-endian checkpoints are supported. Load it with torch 2.1 or newer, which swaps the bytes, and save it again.`, { member: entry.name });
}

/** Returns a member's uncompressed bytes and, when stored, the absolute offset of its first byte (else 0). */
async function readMember(path: string, entry: ZipEntry, fileSize: number): Promise<{ bytes: Uint8Array; baseOffset: number }> {
  if (entry.size > MAX_PICKLE_BYTES) throw new InputError('format/pickle-limit', path, `the member declares ${entry.size} bytes, more than the ${MAX_PICKLE_BYTES} a checkpoint pickle may have.`, { member: entry.name });
  const offset = await resolveDataOffset(path, entry, fileSize);
  const raw = await readRange(path, offset, entry.compressedSize, entry.name);
  if (entry.method === 0) return { bytes: raw, baseOffset: offset };
  try {
    return { bytes: inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) }), baseOffset: 0 };
  } catch (error) {
    throw new InputError('format/bad-deflate', path, `the compressed member does not inflate (${(error as Error).message}).`, { member: entry.name, offset });
  }
}

function storageLoader(path: string, archiveName: string, byName: Map<string, ZipEntry>, fileSize: number): StorageLoader {
  const storages = new Map<string, Storage>();
  return (pid, fail) => {
    const [tag, storageClass, key, , numel] = pid;
    if (tag !== 'storage' || pid.length !== 5) return fail('format/bad-storage', 'a persistent id is not torch\'s ("storage", class, key, location, numel).');
    if (!(storageClass instanceof StorageClass)) return fail('format/bad-storage', 'a persistent id does not name a storage class.');
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail('format/bad-storage', 'a persistent id has a malformed key or element count.');
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== storageClass.dtype || known.numel !== numel) return fail('format/bad-storage', `storage "${key}" is declared twice with different types or sizes.`);
      return known;
    }
    const member = `${archiveName}/data/${key}`;
    const entry = byName.get(member);
    if (!entry) return fail('format/missing-storage', `the pickle refers to storage "${key}" but the zip has no member "${member}".`);
    const nbytes = numel * DTYPE_SIZE[storageClass.dtype];
    if (entry.size !== nbytes) return fail('format/storage-size', `storage "${key}" holds ${numel} ${storageClass.dtype} elements (${nbytes} bytes) but its member has ${entry.size} bytes.`);
    let offset: Promise<number> | undefined;
    const storage: Storage = {
      dtype: storageClass.dtype,
      numel,
      key: member,
      source: {
        kind: 'file',
        path,
        offset: () => (offset ??= resolveDataOffset(path, entry, fileSize)),
        crc32: entry.crc32,
        ...(entry.method === 8 ? { deflatedSize: entry.compressedSize } : {}),
      },
    };
    storages.set(key, storage);
    return storage;
  };
}
