/**
 * The load check of `surgery train --init`, the one `surgery plan` and `apply` run: the planner
 * resolves the init checkpoint against the model this run builds (no remap), in strict or loose
 * `load_state_dict` semantics, and renders the same report `surgery plan` prints.
 */
import { loadSchema, stateDictsOfPolicy } from '../plan/load-schema.ts';
import type { ModelSchema } from '../plan/model-schema.ts';
import { resolvePlan } from '../plan/resolve-plan.ts';
import { buildReportModel } from '../report/report-model.ts';
import { renderReport } from '../report/render-report.ts';
import type { PolicySchema } from '../model/schema.ts';

/** Returns whether `init` loads into `schema`'s model in `mode`, and the planner's text report. */
export async function checkInitLoad(init: string, schema: PolicySchema, mode: 'strict' | 'loose', stateDicts: string[]): Promise<{ ok: boolean; report: string }> {
  const source = await loadSchema(init);
  const target: ModelSchema = { kind: 'manifest', path: 'the model of --config', stateDicts: stateDictsOfPolicy(schema, stateDicts) };
  const plan = resolvePlan({ source, target, remaps: [], mode, fill: true });
  return { ok: plan.ok, report: renderReport(buildReportModel(plan, new Map()), 'text', false) };
}
