/**
 * The provenance record an applied surgery stores in its output: which remap text (hash and path),
 * which source and target files (cheap fingerprints), which tool version, and what happened.
 */
import { fingerprintFile, type Fingerprint } from '../checkpoint/fingerprint-file.ts';
import { packageVersion } from '../package-root.ts';
import type { KeyStatus, Plan } from './plan-types.ts';

/** Bump when the record's shape changes, so that a reader can tell the shapes apart. */
export const PROVENANCE_VERSION = 2;

/** Where one output tensor came from: its status and, when copied or renamed, the source key. */
export interface KeyTransfer {
  status: KeyStatus;
  from: string | null;
}

/** Statuses of keys the output holds (dropped, unexpected, missing and mismatched keys are not written). */
const WRITTEN: ReadonlySet<KeyStatus> = new Set(['loaded', 'renamed', 'assembled', 'reinit', 'filled']);

export interface Provenance {
  format: 'surgery-provenance';
  version: typeof PROVENANCE_VERSION;
  tool: { name: 'surgery'; version: string };
  remaps: Array<{ path: string; sha256: string }>;
  source: { path: string } & Fingerprint;
  target: ({ path: string; kind: string } & Partial<Fingerprint>) | null;
  mode: 'strict' | 'loose';
  seed: number;
  metadataFrom: 'source' | 'target';
  /** Per state dict: how many keys ended in each status. */
  summary: Record<string, Partial<Record<KeyStatus, number>>>;
  /** Per state dict, per output key: what `surgery verify` checks the output against. */
  transfers: Record<string, Record<string, KeyTransfer>>;
}

/** Returns the provenance record of applying `plan` (reads only the edges of large input files). */
export async function buildProvenance(plan: Plan, options: { seed: number; metadata: 'source' | 'target' }): Promise<Provenance> {
  const summary: Provenance['summary'] = {};
  const transfers: Provenance['transfers'] = {};
  for (const dict of plan.stateDicts) {
    const counts: Partial<Record<KeyStatus, number>> = {};
    const written: Record<string, KeyTransfer> = {};
    for (const row of dict.rows) {
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      if (WRITTEN.has(row.status)) written[row.key] = { status: row.status, from: row.status === 'loaded' || row.status === 'renamed' ? row.sourceKey : null };
    }
    summary[dict.name] = counts;
    transfers[dict.name] = written;
  }
  return {
    format: 'surgery-provenance',
    version: PROVENANCE_VERSION,
    tool: { name: 'surgery', version: packageVersion() },
    remaps: plan.remaps.map((r) => ({ path: r.file, sha256: r.sha256 })),
    source: { path: plan.source.path, ...(await fingerprintFile(plan.source.path)) },
    target: plan.target ? { ...plan.target, ...(await fingerprintFile(plan.target.path)) } : null,
    mode: plan.mode,
    seed: options.seed,
    metadataFrom: options.metadata,
    summary,
    transfers,
  };
}
