/**
 * Fuzzing support: mutations of a valid checkpoint's bytes (bit flips, byte flips, truncations,
 * edited zip size and offset fields, shuffled pickle opcodes) and a case runner that opens the
 * result and reads every tensor, classifying the outcome. Used by the suite and by bench/fuzz-checkpoint.ts.
 */
import { writeFile } from 'node:fs/promises';
import { InputError } from '../../src/input-error.ts';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { isDict, isTensor, isTuple } from '../../src/checkpoint/py-value.ts';
import { readTensor } from '../../src/checkpoint/read-tensor.ts';
import type { PyValue } from '../../src/checkpoint/types.ts';
import { createRng } from '../../src/random/rng.ts';

/** A seeded uniform [0, 1) source, so a failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  return createRng(seed).uniform;
}

const ZIP_SIGNATURES = [0x04034b50, 0x02014b50, 0x06054b50, 0x06064b50, 0x07064b50];
/** Field offsets (from each record's signature) of sizes, counts and offsets worth lying about. */
const ZIP_FIELDS: Record<number, number[]> = {
  0x04034b50: [18, 22, 26, 28],
  0x02014b50: [20, 24, 28, 30, 42],
  0x06054b50: [8, 10, 12, 16],
  0x06064b50: [24, 32, 40, 48],
  0x07064b50: [8],
};
const LIES = [0, 1, 0x7fffffff, 0xffffffff, 0xfffffffe, 64, 4096];

/** Returns a mutated copy of `original` and a word for what was done. */
export function mutate(original: Uint8Array, random: () => number): { bytes: Uint8Array; how: string } {
  const bytes = original.slice();
  const at = (limit: number) => Math.floor(random() * limit);
  switch (at(5)) {
    case 0: {
      const flips = 1 + at(8);
      for (let index = 0; index < flips; index++) bytes[at(bytes.length)]! ^= 1 << at(8);
      return { bytes, how: `flip ${flips} bits` };
    }
    case 1:
      return { bytes: bytes.subarray(0, at(bytes.length)), how: 'truncate' };
    case 2: {
      const fields = zipFields(bytes);
      if (fields.length === 0) return { bytes: bytes.subarray(0, at(bytes.length)), how: 'truncate' };
      const field = fields[at(fields.length)]!;
      new DataView(bytes.buffer).setUint32(field, LIES[at(LIES.length)]!, true);
      return { bytes, how: `lie at ${field}` };
    }
    case 3: {
      // Swap two short runs inside the first kilobytes, where the zip's data.pkl (or the legacy pickles) live.
      const span = Math.min(bytes.length, 4096);
      const length = 1 + at(6);
      const a = at(span - length);
      const b = at(span - length);
      const copy = bytes.slice(a, a + length);
      bytes.copyWithin(a, b, b + length);
      bytes.set(copy, b);
      return { bytes, how: `shuffle ${a}<->${b}` };
    }
    default: {
      const value = [0x00, 0xff, 0x80, 0x28, 0x52, 0x62, 0x63, 0x2e][at(8)]!;
      bytes[at(Math.min(bytes.length, 4096))] = value;
      return { bytes, how: `opcode ${value}` };
    }
  }
}

/** Where flips do most harm: the first and last 64 KiB hold a checkpoint's pickle, header and zip directory. */
const STRUCTURE_BYTES = 64 * 1024;

/** Returns a copy of `original` with 1 to 8 bytes XORed with random non-zero values, at the ends or anywhere. */
export function flipBytes(original: Uint8Array, random: () => number): { bytes: Uint8Array; how: string } {
  const bytes = original.slice();
  const at = (limit: number) => Math.floor(random() * limit);
  const span = Math.min(bytes.length, STRUCTURE_BYTES);
  const where = at(3);
  const flips = 1 + at(8);
  const offsets: number[] = [];
  for (let index = 0; index < flips; index++) {
    const offset = where === 0 ? at(span) : where === 1 ? bytes.length - 1 - at(span) : at(bytes.length);
    bytes[offset]! ^= 1 + at(255);
    offsets.push(offset);
  }
  return { bytes, how: `flip bytes at ${offsets.join(',')}` };
}

function zipFields(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at++) {
    const signature = view.getUint32(at, true);
    if (!ZIP_SIGNATURES.includes(signature)) continue;
    for (const offset of ZIP_FIELDS[signature]!) if (at + offset + 4 <= bytes.length) fields.push(at + offset);
  }
  return fields;
}

/** Opens the checkpoint at `path` and reads every tensor in its tree; returns how many it read. */
export async function loadEverything(path: string): Promise<number> {
  const checkpoint = await openCheckpoint(path);
  let count = 0;
  const seen = new Set<object>();
  const walk = async (value: PyValue): Promise<void> => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (isTensor(value)) {
      await readTensor(value);
      count++;
    } else if (isDict(value)) {
      for (const item of value.entries.values()) await walk(item);
    } else if (Array.isArray(value)) {
      for (const item of value) await walk(item);
    } else if (isTuple(value)) {
      for (const item of value.items) await walk(item);
    }
  };
  await walk(checkpoint.root);
  return count;
}

/**
 * One fuzz case's outcome: read fine, refused with a typed error (whose message names the file, or
 * it is a bug too), or anything else (a bug).
 */
export type FuzzOutcome = { kind: 'ok' } | { kind: 'typed'; code: string } | { kind: 'bug'; error: unknown };

/** Writes `bytes` to `path`, loads everything, and classifies what happened. */
export async function runFuzzCase(path: string, bytes: Uint8Array): Promise<FuzzOutcome> {
  await writeFile(path, bytes);
  try {
    await loadEverything(path);
    return { kind: 'ok' };
  } catch (error) {
    if (!(error instanceof InputError)) return { kind: 'bug', error };
    if (!error.message.startsWith(path)) return { kind: 'bug', error: new Error(`the message does not name the file: ${error.message}`) };
    return { kind: 'typed', code: error.code };
  }
}
