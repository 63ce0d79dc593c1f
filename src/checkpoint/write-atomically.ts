/**
 * Writes a file so that the destination either does not change or holds the complete new file:
 * a temp file in the destination's folder, fsync, rename, fsync of the folder. It refuses to
 * replace any of the files the new content is read from.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../input-error.ts';

/**
 * Runs `write` on a fresh temp file and moves it to `destination`; returns what `write` returned.
 * `durable: false` skips the fsyncs: the swap stays atomic for crashes of this process, but a
 * power loss may then leave an empty or partial file at the destination.
 */
export async function writeAtomically<T>(destination: string, inputs: readonly string[], write: (handle: FileHandle) => Promise<T>, durable = true): Promise<T> {
  const target = resolve(destination);
  await refuseInputs(destination, target, inputs);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.surgery-tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    const result = await write(handle);
    if (durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
    if (durable) await syncFolder(dirname(target));
    return result;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
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
