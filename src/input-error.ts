/**
 * The base of every error about a broken or unusable input file (checkpoint, HDF5, manifest,
 * config). It names the file and, where known, the member and byte offset, and says what to do.
 * The CLI maps it to exit code 3.
 */
export class InputError extends Error {
  override name = 'InputError';

  /**
   * @param code namespaced and stable, e.g. `format/truncated`; tests match on it.
   * @param file the input's path, as the user gave it.
   * @param detail one sentence about what is wrong (without the file, which is prefixed).
   * @param where member name, the dict key path of the value at fault, and/or byte offset inside the file, when known.
   */
  constructor(
    readonly code: string,
    readonly file: string,
    readonly detail: string,
    readonly where: { member?: string; key?: string; offset?: number } = {},
  ) {
    super(`${file}${InputError.location(where)}: ${detail}`);
  }

  private static location({ member, key, offset }: { member?: string; key?: string; offset?: number }): string {
    const parts = [member && `member "${member}"`, key !== undefined && `key "${key}"`, offset !== undefined && `offset ${offset}`].filter(Boolean);
    return parts.length ? ` (${parts.join(', ')})` : '';
  }
}
