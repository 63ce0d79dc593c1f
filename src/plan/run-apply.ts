/**
 * `surgery apply`: resolve the plan, refuse when it fails, otherwise build the output tree and write
 * it atomically, with a provenance record and the same report `plan` prints.
 */
import { formatForPath, writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import { EXIT } from '../exit-codes.ts';
import { InputError } from '../input-error.ts';
import { buildReportModel } from '../report/report-model.ts';
import { renderReport } from '../report/render-report.ts';
import { getAtPath, isDict, pyDict } from '../checkpoint/py-value.ts';
import type { Checkpoint, PyValue } from '../checkpoint/types.ts';
import { invariant } from '../invariant.ts';
import { applyPlan, PROVENANCE_KEY } from './apply-plan.ts';
import type { Plan } from './plan-types.ts';
import { DEFAULT_SEED } from './init-values.ts';
import { buildProvenance } from './build-provenance.ts';
import { planInputs, preparePlan, type PlanOptions } from './prepare-plan.ts';
import { emitReport, remapFailure, withRemapWarnings, type CommandOutcome, type ReportOptions } from '../report/command-outcome.ts';

export interface ApplyOptions extends PlanOptions, ReportOptions {
  output: string;
  /** Where non-tensor content comes from; default: the target when it is a checkpoint or a config, else the source. */
  metadata?: 'source' | 'target';
  seed?: number;
  /** fsync the output before it takes its name (default true). */
  durable?: boolean;
}

/** Returns the report and exit code of applying the plan; writes `options.output` only when the plan is ok. */
export async function runApply(options: ApplyOptions): Promise<CommandOutcome> {
  const prepared = await preparePlan(options);
  if (!prepared.plan) return remapFailure(prepared.remapDiagnostics, prepared.sources, options.colour);
  const { plan, source, target } = prepared;
  if (source!.kind !== 'checkpoint') throw new InputError('apply/manifest-source', options.source, 'apply needs the source checkpoint itself; a key manifest has no weights (use it with `surgery plan`).');
  const metadataTarget = target?.kind === 'checkpoint' || target?.kind === 'config';
  const metadata = options.metadata ?? (metadataTarget ? 'target' : 'source');
  if (metadata === 'target' && !metadataTarget) throw new InputError('apply/metadata-target', options.target ?? options.output, '--metadata target needs a target checkpoint or --target-config.');
  if (!plan.ok) {
    const model = buildReportModel(plan, prepared.sources, ['Nothing was written: the plan has errors.']);
    return emitReport(renderReport(model, options.format, options.colour && !options.report), options, EXIT.failed, [...planInputs(options), options.output]);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const provenance = await buildProvenance(plan, { seed, metadata });
  const applied = await applyPlan({ plan, source: source!, target, metadata, seed, provenance });
  const format = formatForPath(options.output);
  // Every file read, by any name (a symlink, a hard link): the output may replace none of them.
  const inputs = planInputs(options);
  if (format === 'safetensors') {
    await writeCheckpoint(options.output, onlyStateDict(applied.root, plan, source!.checkpoint!, options.output), { format, inputs, durable: options.durable, metadata: { [PROVENANCE_KEY]: JSON.stringify(provenance) } });
  } else {
    await writeCheckpoint(options.output, applied.root, { format, inputs, durable: options.durable });
  }
  const model = buildReportModel(plan, prepared.sources, [...applied.notes, `Wrote "${options.output}" (${format}).`]);
  const outcome = await emitReport(renderReport(model, options.format, options.colour && !options.report), options, EXIT.ok, [...inputs, options.output]);
  return withRemapWarnings(outcome, prepared.remapDiagnostics, prepared.sources, options.colour);
}

/** safetensors holds one flat state dict: the plan's only one (the provenance goes into `__metadata__`). */
function onlyStateDict(root: PyValue, plan: Plan, source: Checkpoint, output: string): PyValue {
  if (plan.stateDicts.length !== 1) {
    throw new InputError('apply/safetensors-one-dict', output, `safetensors holds one state dict, but the plan writes ${plan.stateDicts.length} (${plan.stateDicts.map((d) => `"${d.name}"`).join(', ')}); name one with an "in" statement or write a .pth.`);
  }
  const path = source.stateDicts.find((d) => d.name === plan.stateDicts[0]!.name)?.path ?? [];
  const dict = getAtPath(root, path);
  invariant(isDict(dict), `state dict "${plan.stateDicts[0]!.name}" is not in the output tree`);
  return pyDict(dict.entries, { ordered: dict.ordered });
}
