/**
 * `surgery verify`: the proof that a surgery kept what it claims. Loads source and output as
 * robomimic policies, pairs their submodules (from the output's provenance, else by weights),
 * runs each pair on one probe batch and reports the max abs difference per submodule.
 */
import { EXIT } from '../cli/exit-codes.ts';
import { selectBackend, type BackendChoice } from '../model/backend.ts';
import { loadPolicy, type LoadedPolicy } from '../model/load-policy.ts';
import { disposePolicy } from '../model/policy.ts';
import type { PolicyWeights } from '../model/weights.ts';
import { fingerprintFile } from '../plan/fingerprint-file.ts';
import { emitReport, type CommandOutcome, type ReportOptions } from '../plan/run-plan.ts';
import { measurePair } from './measure-pair.ts';
import { pairByWeights, pairFromTransfers, submodulesOf, type Side, type SubmodulePair } from './pair-submodules.ts';
import { disposeProbe, probeFromFile, synthesiseProbe, type ProbeBatch } from './probe-batch.ts';
import { readTransfers, type RecordedTransfers } from './read-transfers.ts';
import { renderVerify } from './render-verify.ts';
import { VERIFY_REPORT_SCHEMA, VERIFY_REPORT_VERSION, verifyRow, type VerifyReport, type VerifySection } from './verify-report.ts';

export interface VerifyOptions extends ReportOptions {
  source: string;
  output: string;
  /** Observation file whose images the encoders run on; default: synthesised from `shape_metadata`. */
  obs?: string;
  backend: BackendChoice;
}

/** The weight sets a robomimic checkpoint holds, by state-dict name. */
const WEIGHT_SETS: ReadonlyArray<[string, (p: LoadedPolicy) => PolicyWeights | null]> = [
  ['model.nets', (p) => p.policy.nets],
  ['model.ema', (p) => p.policy.ema],
];

/** Returns the rendered report and the exit code: 1 when a submodule claimed copied differs, else 0. */
export async function runVerify(options: VerifyOptions): Promise<CommandOutcome> {
  const backend = await selectBackend(options.backend);
  const source = await loadPolicy(options.source);
  let output: LoadedPolicy | null = null;
  let probe: ProbeBatch | null = null;
  try {
    output = await loadPolicy(options.output);
    const recorded = readTransfers(output.checkpoint);
    const notes = [...new Set([...source.warnings, ...output.warnings]), ...(backend.note ? [backend.note] : []), ...(await sourceMismatch(recorded, options.source))];
    const sections: VerifySection[] = [];
    let pairedByWeights = recorded.transfers === null;
    for (const [name, pick] of WEIGHT_SETS) {
      const [s, o] = [pick(source), pick(output)];
      if (!s || !o) continue;
      const sourceSide: Side = { config: source.policy.config, schema: source.policy.schema, weights: s };
      const outputSide: Side = { config: output.policy.config, schema: output.policy.schema, weights: o };
      const [from, to] = [submodulesOf(sourceSide.config, sourceSide.schema), submodulesOf(outputSide.config, outputSide.schema)];
      const transfers = recorded.transfers?.get(name);
      if (recorded.transfers && !transfers) notes.push(`The provenance records no transfers for "${name}"; its submodules are paired by weights and shapes.`);
      pairedByWeights ||= !transfers;
      const pairs = transfers ? pairFromTransfers(from, to, transfers) : pairByWeights(from, to, sourceSide, outputSide);
      probe ??= options.obs ? await probeFromFile(outputSide.config, options.obs, sourceNames(pairs)) : synthesiseProbe(outputSide.config);
      const batch = probe;
      sections.push({ stateDict: name, rows: pairs.map((pair) => verifyRow(pair, measurePair(pair, sourceSide, outputSide, batch))) });
    }
    const failures = sections.reduce((n, s) => n + s.rows.filter((r) => r.verdict === 'differs').length, 0);
    const report: VerifyReport = {
      schema: VERIFY_REPORT_SCHEMA,
      version: VERIFY_REPORT_VERSION,
      source: options.source,
      output: options.output,
      pairing: { by: pairedByWeights ? 'weights' : 'provenance', note: recorded.reason },
      probe: { file: probe?.file ?? null, rows: probe ? ([...probe.images.values()][0]?.shape[0] ?? 0) : 0 },
      backend: backend.name,
      ok: failures === 0,
      failures,
      sections,
      notes,
    };
    const exitCode = failures === 0 ? EXIT.ok : EXIT.failed;
    return emitReport(renderVerify(report, options.format, options.colour && !options.report), options, exitCode, 'a submodule claimed copied differs');
  } finally {
    if (probe) disposeProbe(probe);
    disposePolicy(source.policy);
    if (output) disposePolicy(output.policy);
  }
}

/** A note when the provenance names another source file than the one given (same fingerprint algorithm, other digest). */
async function sourceMismatch(recorded: RecordedTransfers, path: string): Promise<string[]> {
  if (!recorded.source) return [];
  const given = await fingerprintFile(path);
  if (given.algorithm === recorded.source.algorithm && given.digest === recorded.source.digest) return [];
  return [`The output's provenance says it was made from "${recorded.source.path}" (${recorded.source.algorithm} ${recorded.source.digest.slice(0, 12)}), not from "${path}" (${given.digest.slice(0, 12)}); the claims are about that file.`];
}

/** Output image key → the source obs key its encoder pairs with. */
function sourceNames(pairs: SubmodulePair[]): Map<string, string> {
  return new Map(pairs.flatMap((p) => (p.output.kind === 'encoder' && p.source ? [[p.output.name, p.source.name] as [string, string]] : [])));
}
