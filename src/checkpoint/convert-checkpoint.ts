/**
 * Converts a checkpoint between formats (torch zip, legacy torch → torch zip or safetensors),
 * copying storages by range. safetensors holds one flat dict of tensors, so a tree needs the
 * state dict to export named.
 */
import { InputError } from '../input-error.ts';
import { openCheckpoint } from './open-checkpoint.ts';
import type { PyValue } from './types.ts';
import { formatForPath, writeCheckpoint } from './write-checkpoint.ts';

/** How `convertCheckpoint` writes its output. */
export interface ConvertOptions {
  /** Output format; by default `.safetensors` outputs are safetensors, everything else torch zip. */
  to?: 'torch-zip' | 'safetensors';
  /** The state dict to export to safetensors (`model.nets`); needed when the root is not one. */
  stateDict?: string;
  /** fsync the output before it takes its name (default true). */
  durable?: boolean;
}

/** What was written. */
export interface ConvertResult {
  format: 'torch-zip' | 'safetensors';
  bytes: number;
  stateDict?: string;
}

/** Converts `input` into a new file `output`; returns what was written. */
export async function convertCheckpoint(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const checkpoint = await openCheckpoint(input);
  const format = options.to ?? formatForPath(output);
  if (format === 'torch-zip') {
    const root = options.stateDict === undefined ? checkpoint.root : pickStateDict(checkpoint, options.stateDict, input);
    return { format, bytes: await writeCheckpoint(output, root, { format, inputs: [input], durable: options.durable }), ...(options.stateDict !== undefined ? { stateDict: options.stateDict } : {}) };
  }
  const name = options.stateDict ?? defaultStateDict(checkpoint, input);
  const root = pickStateDict(checkpoint, name, input);
  const metadata = checkpoint.metadata ?? { format: 'pt' };
  return { format, bytes: await writeCheckpoint(output, root, { format, metadata, inputs: [input], durable: options.durable }), stateDict: name };
}

function defaultStateDict(checkpoint: Awaited<ReturnType<typeof openCheckpoint>>, input: string): string {
  const root = checkpoint.stateDicts.find((entry) => entry.name === '');
  if (root) return '';
  const names = checkpoint.stateDicts.map((entry) => `"${entry.name}"`).join(', ') || 'none';
  throw new InputError('convert/choose-state-dict', input, `safetensors holds one flat dict of tensors but this checkpoint is a tree; pass --state-dict with one of: ${names}.`);
}

function pickStateDict(checkpoint: Awaited<ReturnType<typeof openCheckpoint>>, name: string, input: string): PyValue {
  const entry = checkpoint.stateDicts.find((candidate) => candidate.name === name);
  if (entry) return entry.dict;
  const names = checkpoint.stateDicts.map((candidate) => `"${candidate.name || '<root>'}"`).join(', ') || 'none';
  throw new InputError('convert/unknown-state-dict', input, `has no state dict "${name}"; its state dicts are ${names}.`);
}
