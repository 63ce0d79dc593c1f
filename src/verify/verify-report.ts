/**
 * The report of `surgery verify` as plain data, shared by the renderers and written as-is by
 * `--format json` (so its shape is versioned): per state dict, per submodule, what the surgery
 * claims, what it was paired with, and the max abs difference measured on the probe.
 */
import { collapseKeys } from '../report/collapse-keys.ts';
import type { Measurement } from './measure-pair.ts';
import type { Claim, PairedBy, SubmodulePair } from './pair-submodules.ts';
import type { ProbeBatch } from './probe-batch.ts';

export const VERIFY_REPORT_SCHEMA = 'surgery-verify-report';
/** Bump on any incompatible change of `VerifyReport`; tools check it. */
export const VERIFY_REPORT_VERSION = 1;

/**
 * - identical: the outputs agree exactly;
 * - differs: they do not although every tensor is claimed copied (the one failure);
 * - changed: they differ where the surgery says it reinitialised something (expected);
 * - not run: the pair cannot take the same input (`notRun` says why).
 */
export type Verdict = 'identical' | 'differs' | 'changed' | 'not run';

export interface VerifyRow {
  /** `encoder agentview_rgb`, `combine`, `unet`. */
  submodule: string;
  /** Key prefix in the output (without the trailing dot). */
  output: string;
  /** Key prefix of the paired source submodule, or null. */
  source: string | null;
  /** The source obs key an encoder pairs with (null for combine, UNet, unpaired). */
  sourceName: string | null;
  pairedBy: PairedBy | null;
  claim: Claim;
  tensors: number;
  /** Keys not copied unchanged (relative, collapsed `{0..2}`), with their recorded status. */
  notCopied: Array<{ key: string; count: number; status: string }>;
  maxAbsDiff: number | null;
  notRun: string;
  verdict: Verdict;
}

export interface VerifySection {
  stateDict: string;
  rows: VerifyRow[];
}

export interface VerifyReport {
  schema: typeof VERIFY_REPORT_SCHEMA;
  version: typeof VERIFY_REPORT_VERSION;
  source: string;
  output: string;
  /** How submodules were paired; `note` says why when not from the provenance. */
  pairing: { by: 'provenance' | 'weights'; note: string };
  /** The observation file of `--obs`, or null when the probe was synthesised from `shape_metadata`. */
  probe: { file: string | null; rows: number };
  backend: string;
  ok: boolean;
  /** Submodules claimed copied whose outputs differ. */
  failures: number;
  sections: VerifySection[];
  notes: string[];
}

/** Returns the report of the measured sections; `byWeights` when any were paired without recorded transfers (`reason` says why). */
export function verifyReport(input: {
  source: string;
  output: string;
  byWeights: boolean;
  reason: string;
  probe: ProbeBatch;
  backend: string;
  sections: VerifySection[];
  notes: string[];
}): VerifyReport {
  const failures = input.sections.reduce((n, s) => n + s.rows.filter((r) => r.verdict === 'differs').length, 0);
  return {
    schema: VERIFY_REPORT_SCHEMA,
    version: VERIFY_REPORT_VERSION,
    source: input.source,
    output: input.output,
    pairing: { by: input.byWeights ? 'weights' : 'provenance', note: input.reason },
    probe: { file: input.probe.file, rows: [...input.probe.images.values()][0]?.shape[0] ?? 0 },
    backend: input.backend,
    ok: failures === 0,
    failures,
    sections: input.sections,
    notes: input.notes,
  };
}

/** Returns one report row from a pair and its measurement. */
export function verifyRow(pair: SubmodulePair, measured: Measurement): VerifyRow {
  const { output, source } = pair;
  const collapsed = collapseKeys(pair.notCopied.map((n) => ({ key: n.key, signature: n.status, value: n.status })));
  return {
    submodule: output.kind === 'encoder' ? `encoder ${output.name}` : output.name,
    output: output.prefix.slice(0, -1),
    source: source ? source.prefix.slice(0, -1) : null,
    sourceName: source?.kind === 'encoder' ? source.name : null,
    pairedBy: pair.pairedBy,
    claim: pair.claim,
    tensors: output.keys.length,
    notCopied: collapsed.map((c) => ({ key: c.key, count: c.count, status: c.value })),
    maxAbsDiff: measured.maxAbsDiff,
    notRun: measured.notRun,
    verdict: verdictOf(pair.claim, measured.maxAbsDiff),
  };
}

function verdictOf(claim: Claim, diff: number | null): Verdict {
  if (diff === null) return 'not run';
  if (diff === 0) return 'identical';
  return claim === 'copied' ? 'differs' : 'changed';
}
