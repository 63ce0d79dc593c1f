/**
 * Reads what an applied surgery recorded about every output key (the provenance's `transfers`),
 * so `verify` checks the output against the claims stored in the file itself.
 */
import { getAtPath } from '../checkpoint/py-value.ts';
import type { Checkpoint } from '../checkpoint/types.ts';
import { PROVENANCE_KEY } from '../plan/apply-plan.ts';
import type { KeyTransfer, Provenance } from '../plan/build-provenance.ts';

/** Per state dict, per output key: where the tensor came from. */
export type Transfers = Map<string, Map<string, KeyTransfer>>;

export interface RecordedTransfers {
  /** Null when the output records none; `reason` then says why. */
  transfers: Transfers | null;
  reason: string;
  /** The source file the provenance names, with its fingerprint (null without transfers). */
  source: Provenance['source'] | null;
}

/** Returns the transfers recorded in `output`'s provenance, or null and why there are none. */
export function readTransfers(output: Checkpoint): RecordedTransfers {
  const raw = getAtPath(output.root, [PROVENANCE_KEY]);
  if (typeof raw !== 'string') return { transfers: null, reason: `"${output.path}" has no surgery provenance (it was not written by \`surgery apply\`)`, source: null };
  let record: Partial<Provenance>;
  try {
    record = JSON.parse(raw) as Partial<Provenance>;
  } catch {
    return { transfers: null, reason: `the surgery provenance of "${output.path}" is not valid JSON`, source: null };
  }
  if (record.format !== 'surgery-provenance' || typeof record.transfers !== 'object' || record.transfers === null) {
    return { transfers: null, reason: `the surgery provenance of "${output.path}" (version ${String(record.version)}) records no per-key transfers`, source: null };
  }
  const transfers: Transfers = new Map();
  for (const [dict, keys] of Object.entries(record.transfers)) transfers.set(dict, new Map(Object.entries(keys)));
  return { transfers, reason: '', source: record.source ?? null };
}
