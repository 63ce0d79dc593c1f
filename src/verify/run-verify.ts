/**
 * `surgery verify`: the proof that a surgery kept what it claims. Loads source and output as
 * robomimic policies, pairs their submodules (from the output's provenance, else by weights),
 * runs each pair on one probe batch and reports the max abs difference per submodule.
 */
import { EXIT } from '../exit-codes.ts';
import { selectBackend, type BackendChoice } from '../model/backend.ts';
import { loadPolicy, type LoadedPolicy } from '../model/load-policy.ts';
import { disposePolicy } from '../model/policy.ts';
import type { PolicyWeights } from '../model/weights.ts';
import { fingerprintFile } from '../checkpoint/fingerprint-file.ts';
import { emitReport, type CommandOutcome, type ReportOptions } from '../report/command-outcome.ts';
import { measurePair } from './measure-pair.ts';
import { pairByWeights, pairFromTransfers, submodulesOf, type Side, type SubmodulePair } from './pair-submodules.ts';
import { disposeProbe, probeFromFile, synthesiseProbe, type ProbeBatch } from './probe-batch.ts';
import { readTransfers, type RecordedTransfers } from './read-transfers.ts';
import { renderVerify } from './render-verify.ts';
import { verifyReport, verifyRow } from './verify-report.ts';

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
    const sets = await pairWeightSets(source, output, recorded, notes);
    const config = output.policy.config;
    probe = options.obs ? await probeFromFile(config, options.obs, sourceNames(sets.flatMap((s) => s.pairs))) : synthesiseProbe(config);
    const batch = probe;
    const sections = [];
    for (const set of sets) {
      const rows = [];
      for (const pair of set.pairs) rows.push(verifyRow(pair, await measurePair(pair, set.source, set.output, batch)));
      sections.push({ stateDict: set.name, rows });
    }
    const report = verifyReport({ source: options.source, output: options.output, byWeights: sets.some((s) => s.byWeights), reason: recorded.reason, probe, backend: backend.name, sections, notes });
    const inputs = [options.source, options.output, ...(options.obs ? [options.obs] : [])];
    return await emitReport(renderVerify(report, options.format, options.colour && !options.report), options, report.ok ? EXIT.ok : EXIT.failed, inputs, 'a submodule claimed copied differs');
  } finally {
    if (probe) disposeProbe(probe);
    disposePolicy(source.policy);
    if (output) disposePolicy(output.policy);
  }
}

interface PairedWeightSet {
  name: string;
  source: Side;
  output: Side;
  pairs: SubmodulePair[];
  /** Paired by weights and shapes, for want of recorded transfers. */
  byWeights: boolean;
}

/** Returns the submodule pairs of every weight set both checkpoints hold; adds a note where a set's transfers are missing. */
async function pairWeightSets(source: LoadedPolicy, output: LoadedPolicy, recorded: RecordedTransfers, notes: string[]): Promise<PairedWeightSet[]> {
  const sets: PairedWeightSet[] = [];
  for (const [name, pick] of WEIGHT_SETS) {
    const [s, o] = [pick(source), pick(output)];
    if (!s || !o) continue;
    const sourceSide: Side = { config: source.policy.config, schema: source.policy.schema, weights: s };
    const outputSide: Side = { config: output.policy.config, schema: output.policy.schema, weights: o };
    const [from, to] = [submodulesOf(sourceSide.config, sourceSide.schema), submodulesOf(outputSide.config, outputSide.schema)];
    const transfers = recorded.transfers?.get(name);
    if (recorded.transfers && !transfers) notes.push(`The provenance records no transfers for "${name}"; its submodules are paired by weights and shapes.`);
    const pairs = transfers ? pairFromTransfers(from, to, transfers) : await pairByWeights(from, to, sourceSide, outputSide);
    sets.push({ name, source: sourceSide, output: outputSide, pairs, byWeights: !transfers });
  }
  return sets;
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
