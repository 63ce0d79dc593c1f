/**
 * Writes a checkpoint tree to disk atomically, as a torch zip checkpoint or as safetensors,
 * refusing to replace any file its tensors are read from.
 */
import { basename, extname } from 'node:path';
import { pickleValue } from './pickle/pickle-value.ts';
import { safetensorsEntries, writeSafetensors } from './write-safetensors.ts';
import { writeAtomically } from './write-atomically.ts';
import { writeTorchZip } from './write-torch-zip.ts';
import type { PyValue } from './types.ts';

/** How `writeCheckpoint` writes: format, archive name, safetensors metadata, inputs to protect, durability. */
export interface WriteCheckpointOptions {
  format: 'torch-zip' | 'safetensors';
  /** Zip root folder; defaults to the destination's name without its last extension, as torch does. */
  archiveName?: string;
  /** safetensors `__metadata__`. */
  metadata?: Record<string, string>;
  /** More files the destination must not replace (the files tensors come from are always included). */
  inputs?: string[];
  /** fsync the file and its folder before returning (default true); see `writeAtomically`. */
  durable?: boolean;
}

/** Returns the format a checkpoint written to `path` gets by default: safetensors for `.safetensors` (any case), else a torch zip. */
export function formatForPath(path: string): WriteCheckpointOptions['format'] {
  return extname(path).toLowerCase() === '.safetensors' ? 'safetensors' : 'torch-zip';
}

/** Returns the size in bytes of the checkpoint written at `path`. */
export async function writeCheckpoint(path: string, root: PyValue, options: WriteCheckpointOptions): Promise<number> {
  if (options.format === 'safetensors') {
    const entries = safetensorsEntries(root, path);
    const inputs = entries.flatMap(([, tensor]) => (tensor.storage.source.kind === 'file' ? [tensor.storage.source.path] : []));
    return writeAtomically(path, [...inputs, ...(options.inputs ?? [])], (handle) => writeSafetensors(handle, entries, options.metadata), options.durable);
  }
  const pickled = pickleValue(root);
  const inputs = pickled.storages.flatMap(({ storage }) => (storage.source.kind === 'file' ? [storage.source.path] : []));
  const archiveName = options.archiveName ?? basename(path, extname(path));
  return writeAtomically(path, [...inputs, ...(options.inputs ?? [])], (handle) => writeTorchZip(handle, pickled, archiveName), options.durable);
}
