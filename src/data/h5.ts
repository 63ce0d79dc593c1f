/**
 * Thin access to HDF5 files through h5wasm: opening read-only with readable errors, typed lookups,
 * and the refusal of datasets whose filters h5wasm cannot decode.
 *
 * Why the filter check: h5wasm (libhdf5 without plugins) prints a diagnostic to stderr and then
 * returns the *undecoded* chunk bytes for a dataset compressed with an unregistered filter such as
 * LZF, so a reader that trusts it trains on garbage. We look at every dataset's filter pipeline
 * before its first read.
 */
import h5wasm, { type Dataset, type Group, type File as H5File } from 'h5wasm/node';
import { InputError } from '../input-error.ts';

/** Filters libhdf5 decodes without plugins: deflate, shuffle, fletcher32, nbit, scaleoffset. */
const DECODABLE_FILTERS: ReadonlyMap<number, string> = new Map([
  [1, 'deflate'],
  [2, 'shuffle'],
  [3, 'fletcher32'],
  [5, 'nbit'],
  [6, 'scaleoffset'],
]);

export type { Dataset, Group, H5File };

/** Returns the h5wasm module once its WebAssembly is ready. */
export async function loadH5(): Promise<typeof h5wasm> {
  await h5wasm.ready;
  return h5wasm;
}

/** Returns `path` opened read-only; a missing or non-HDF5 file is an `InputError` naming it. */
export async function openH5ReadOnly(path: string): Promise<H5File> {
  const h5 = await loadH5();
  try {
    return new h5.File(path, 'r');
  } catch (error) {
    throw new InputError('data/unreadable', path, `cannot open as HDF5 (${(error as Error).message}); check that the file exists and is a robomimic/LIBERO .hdf5 file.`);
  }
}

/** Returns the group at `member`, or throws an `InputError` naming the file and member. */
export function requireGroup(file: H5File, path: string, member: string): Group {
  const entity = file.get(member);
  if (!(entity instanceof h5wasm.Group)) {
    throw new InputError('data/missing-group', path, `expected an HDF5 group here, found ${entity ? entity.constructor.name : 'nothing'}.`, { member });
  }
  return entity;
}

/**
 * Returns the dataset at `member` after checking that h5wasm can decode it; throws an
 * `InputError` for a missing dataset or an undecodable filter (LZF, blosc, szip, ...).
 */
export function requireDataset(file: H5File, path: string, member: string): Dataset {
  const entity = file.get(member);
  if (!(entity instanceof h5wasm.Dataset)) {
    throw new InputError('data/missing-dataset', path, `expected an HDF5 dataset here, found ${entity ? entity.constructor.name : 'nothing'}.`, { member });
  }
  assertDecodable(entity, path, member);
  return entity;
}

/** Throws an `InputError` when `dataset` uses a filter this build of libhdf5 cannot decode. */
function assertDecodable(dataset: Dataset, path: string, member: string): void {
  for (const filter of dataset.filters) {
    if (!DECODABLE_FILTERS.has(filter.id)) {
      throw new InputError(
        'data/unsupported-filter',
        path,
        `dataset is compressed with the "${filter.name || 'unknown'}" filter (id ${filter.id}), which the bundled HDF5 library cannot decode (it would return raw compressed bytes). Re-save the file without it, e.g. with h5py: h5repack -f NONE in.hdf5 out.hdf5.`,
        { member },
      );
    }
  }
}

/** Returns an attribute's value as a plain JS value (BigInt scalars become numbers when exact), or undefined. */
export function readAttr(entity: Group | Dataset, name: string): unknown {
  const attr = entity.attrs[name];
  if (attr === undefined) return undefined;
  const value = attr.value;
  if (typeof value === 'bigint') return bigintToNumber(value);
  return value;
}

/** Returns `value` as a number when it fits exactly; huge values stay BigInt so callers can reject them. */
export function bigintToNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
