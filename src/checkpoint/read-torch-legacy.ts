/**
 * Reads a legacy torch checkpoint (`_use_new_zipfile_serialization=False`, torch < 1.6): five
 * pickles in a row (magic number, protocol version, sys info, the object, the storage keys), then
 * each storage as an 8-byte element count followed by its raw bytes, in storage-key order.
 */
import { InputError } from '../input-error.ts';
import { isDict, isList } from './py-value.ts';
import { StorageClass } from './pickle/torch-globals.ts';
import { unpickle, type StorageLoader } from './pickle/unpickle.ts';
import { LEGACY_MAGIC } from './legacy-magic.ts';
import { MAX_PICKLE_BYTES } from './read-torch-zip.ts';
import { readRange } from './storage-bytes.ts';
import { DTYPE_SIZE, type Checkpoint, type PyValue, type Storage } from './types.ts';

/** The only legacy protocol version torch ever wrote. */
export const LEGACY_PROTOCOL = 1001;
const FIRST_WINDOW = 1 << 20;

/** Returns the checkpoint in the legacy torch file at `path`, without reading tensor bytes. */
export async function readTorchLegacy(path: string, fileSize: number): Promise<Omit<Checkpoint, 'stateDicts'>> {
  for (let window = Math.min(FIRST_WINDOW, fileSize); ; window = Math.min(window * 4, fileSize)) {
    const head = await readRange(path, 0, window);
    try {
      return parseLegacy(path, fileSize, head);
    } catch (error) {
      // The pickles' total length is only known by parsing them; grow the window and retry.
      const cutShort = error instanceof InputError && error.code === 'format/truncated' && window < fileSize;
      if (!cutShort) throw error;
      if (window >= MAX_PICKLE_BYTES) throw new InputError('format/pickle-limit', path, `the legacy pickles exceed ${MAX_PICKLE_BYTES} bytes.`, { offset: 0 });
    }
  }
}

function parseLegacy(path: string, fileSize: number, head: Uint8Array): Omit<Checkpoint, 'stateDicts'> {
  let at = 0;
  const next = (loadStorage: StorageLoader = refuseStorage): PyValue => {
    const { value, length } = unpickle(head.subarray(at), { file: path, baseOffset: at }, loadStorage);
    at += length;
    return value;
  };
  const magic = next();
  if (magic !== LEGACY_MAGIC) throw new InputError('format/not-torch-legacy', path, 'the file starts with a pickle but not torch\'s magic number; it is not a torch checkpoint.', { offset: 0 });
  const protocol = next();
  if (protocol !== LEGACY_PROTOCOL) throw new InputError('format/not-torch-legacy', path, `legacy protocol ${String(protocol)} is not the ${LEGACY_PROTOCOL} torch writes.`, { offset: at });
  const sysInfo = next();
  if (!isDict(sysInfo) || sysInfo.entries.get('little_endian') !== true) throw new InputError('format/bad-byteorder', path, 'the checkpoint was not written on a little-endian machine, which is not supported.', { offset: at });
  const storages = new Map<string, Storage>();
  const root = next(legacyStorageLoader(path, storages));
  const keysAt = at;
  const keys = next();
  if (!isList(keys) || !keys.every((key) => typeof key === 'string')) throw new InputError('format/not-torch-legacy', path, 'the storage key list is not a list of strings.', { offset: keysAt });
  layOutStorages(path, fileSize, at, keys as string[], storages);
  return { path, format: 'torch-legacy', fileSize, root };
}

function refuseStorage(_pid: unknown[], fail: (code: string, detail: string) => never): never {
  return fail('format/not-torch-legacy', 'a legacy header pickle refers to a storage.');
}

function legacyStorageLoader(path: string, storages: Map<string, Storage>): StorageLoader {
  return (pid, fail) => {
    const [tag, storageClass, key, , numel, view] = pid;
    if (tag !== 'storage' || pid.length !== 6 || !(storageClass instanceof StorageClass)) return fail('format/bad-storage', 'a persistent id is not torch\'s legacy ("storage", class, key, location, numel, view).');
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail('format/bad-storage', 'a persistent id has a malformed key or element count.');
    if (view !== null) return fail('format/unsupported-value', 'a legacy storage view (pre-0.4 torch) is not supported; re-save the checkpoint with a newer torch.');
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== storageClass.dtype || known.numel !== numel) return fail('format/bad-storage', `storage "${key}" is declared twice with different types or sizes.`);
      return known;
    }
    // The offset is filled in by layOutStorages once the key list (which follows) is read.
    const storage: Storage = { dtype: storageClass.dtype, numel, key, source: { kind: 'file', path, offset: () => Promise.reject(new Error('unplaced')) } };
    storages.set(key, storage);
    return storage;
  };
}

/** Gives each storage its offset: they follow the key pickle in key order, each after an 8-byte count. */
function layOutStorages(path: string, fileSize: number, start: number, keys: string[], storages: Map<string, Storage>): void {
  let at = start;
  for (const key of keys) {
    const storage = storages.get(key);
    if (!storage) throw new InputError('format/missing-storage', path, `the storage key list names "${key}", which no tensor uses.`, { offset: at });
    const headerAt = at;
    const dataAt = at + 8;
    at = dataAt + storage.numel * DTYPE_SIZE[storage.dtype];
    if (at > fileSize) throw new InputError('format/truncated', path, `storage "${key}" ends at ${at}, past the end of the ${fileSize}-byte file.`, { member: key, offset: headerAt });
    let checked: Promise<number> | undefined;
    storage.source = { kind: 'file', path, offset: () => (checked ??= checkCount(path, storage, headerAt).then(() => dataAt)) };
  }
  const listed = new Set(keys);
  const unplaced = [...storages.keys()].find((key) => !listed.has(key));
  if (unplaced !== undefined) throw new InputError('format/missing-storage', path, `storage "${unplaced}" is used by a tensor but missing from the storage key list.`, { offset: start });
}

async function checkCount(path: string, storage: Storage, headerAt: number): Promise<void> {
  const count = new DataView((await readRange(path, headerAt, 8, storage.key)).buffer).getBigInt64(0, true);
  if (count !== BigInt(storage.numel)) {
    throw new InputError('format/storage-size', path, `storage "${storage.key}" is recorded with ${count} elements but its tensors say ${storage.numel}.`, { member: storage.key, offset: headerAt });
  }
}
