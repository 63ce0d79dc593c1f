/** `surgery plan`: the dry run — resolve the remap(s) against source and target and render the report. */
import { EXIT } from '../exit-codes.ts';
import { emitReport, remapFailure, withRemapWarnings, type CommandOutcome, type ReportOptions } from '../report/command-outcome.ts';
import { buildReportModel } from '../report/report-model.ts';
import { renderReport } from '../report/render-report.ts';
import { planInputs, preparePlan, type PlanOptions } from './prepare-plan.ts';

/** Returns the rendered plan and the exit code: 0 when it would apply cleanly in the chosen mode, 1 otherwise. */
export async function runPlan(options: PlanOptions & ReportOptions): Promise<CommandOutcome> {
  const prepared = await preparePlan(options);
  if (!prepared.plan) return remapFailure(prepared.remapDiagnostics, prepared.sources, options.colour);
  const model = buildReportModel(prepared.plan, prepared.sources);
  const outcome = await emitReport(renderReport(model, options.format, options.colour && !options.report), options, prepared.plan.ok ? EXIT.ok : EXIT.failed, planInputs(options));
  return withRemapWarnings(outcome, prepared.remapDiagnostics, prepared.sources, options.colour);
}
