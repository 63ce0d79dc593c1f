/**
 * Cheap identity of an input file for provenance: a full SHA-256 for small files, and for large
 * ones a SHA-256 of the size, the first and the last MiB. The tail of a torch zip holds the central
 * directory with every member's CRC-32, so it changes whenever any tensor does.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { readRange } from './storage-bytes.ts';

/** Files up to this size are hashed whole; hashing a 1 GB checkpoint would cost more than the surgery. */
export const FULL_HASH_MAX_BYTES = 8 * 1024 * 1024;
const EDGE_BYTES = 1024 * 1024;

export interface Fingerprint {
  algorithm: 'sha256' | 'sha256-size-head-tail-1MiB';
  digest: string;
  size: number;
}

/** Returns the fingerprint of the file at `path`. */
export async function fingerprintFile(path: string): Promise<Fingerprint> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  if (size <= FULL_HASH_MAX_BYTES) {
    hash.update(await readRange(path, 0, size));
    return { algorithm: 'sha256', digest: hash.digest('hex'), size };
  }
  hash.update(`${size}\n`);
  hash.update(await readRange(path, 0, EDGE_BYTES));
  hash.update(await readRange(path, size - EDGE_BYTES, EDGE_BYTES));
  return { algorithm: 'sha256-size-head-tail-1MiB', digest: hash.digest('hex'), size };
}
