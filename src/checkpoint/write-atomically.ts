/**
 * Writes a file so that the destination either does not change or holds the complete new file:
 * a temp file in the destination's folder, fsync, rename, fsync of the folder. It refuses to
 * replace any of the files the new content is read from, and removes the temps that killed
 * earlier writes to the same destination left behind.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../input-error.ts';

const TEMP_SUFFIX = '.surgery-tmp';

/**
 * Runs `write` on a fresh temp file and moves it to `destination`; returns what `write` returned.
 * `durable: false` skips the fsyncs: the swap stays atomic for crashes of this process, but a
 * power loss may then leave an empty or partial file at the destination.
 */
export async function writeAtomically<T>(destination: string, inputs: readonly string[], write: (handle: FileHandle) => Promise<T>, durable = true): Promise<T> {
  const target = resolve(destination);
  await refuseInputs(destination, target, inputs);
  await removeStaleTemps(target);
  const temp = join(dirname(target), `${tempPrefix(target)}${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx').catch((error: unknown) => {
    throw unwritable(error, destination, (error as NodeJS.ErrnoException).code);
  });
  let closed = false;
  try {
    const result = await write(handle);
    if (durable) await handle.sync();
    await handle.close();
    closed = true;
    await rename(temp, target).catch((error: unknown) => {
      throw unwritable(error, destination, (error as NodeJS.ErrnoException).code);
    });
    if (durable) await syncFolder(dirname(target));
    return result;
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw OUTPUT_ERRORS.has((error as NodeJS.ErrnoException).code ?? '') ? unwritable(error, destination, (error as NodeJS.ErrnoException).code!) : error;
  }
}

/** Writes `text` to `destination` as `writeAtomically` does, refusing to replace any of `inputs`. */
export async function writeTextAtomically(destination: string, text: string, inputs: readonly string[], durable = true): Promise<void> {
  await writeAtomically(destination, inputs, (handle) => handle.writeFile(text), durable);
}

/** `.<name>.` — what every temp for `target` starts with; the writer's pid and a random tag follow. */
function tempPrefix(target: string): string {
  return `.${basename(target)}.`;
}

/**
 * Removes the temps of earlier writes to `target` whose process is gone (killed mid-write). A
 * temp whose pid is alive may be another write in progress and is left alone; so is anything
 * not named exactly as this module names its temps.
 */
async function removeStaleTemps(target: string): Promise<void> {
  const prefix = tempPrefix(target);
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const tag = /^(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length, -TEMP_SUFFIX.length));
    if (tag && !isAlive(Number(tag[1]))) await rm(join(dirname(target), name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Errors that can only come from writing the output. Others met while writing (say ENOENT) may
 * come from reading an input and pass through as they are.
 */
const OUTPUT_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS']);

/** A system error of the output (read-only folder, full disk, ...) as a typed error naming it. */
function unwritable(error: unknown, given: string, code: string | undefined): unknown {
  if (code === undefined) return error;
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'its folder is not writable' : code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
  return new InputError('output/unwritable', given, `cannot be written (${code}: ${why}); nothing was written there and the inputs are untouched.`);
}

async function refuseInputs(given: string, target: string, inputs: readonly string[]): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (!existing) return;
  const targetReal = await realpath(target);
  for (const input of new Set(inputs)) {
    const info = await stat(input).catch(() => undefined);
    const same = (info && info.dev === existing.dev && info.ino === existing.ino) || (await realpath(input).catch(() => input)) === targetReal;
    if (same) throw new InputError('output/overwrites-input', given, 'is one of the files being read; write to a new path instead.');
  }
}

// The rename is durable only once the folder entry is on disk; some filesystems refuse to fsync a folder.
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
