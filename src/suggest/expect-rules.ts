/**
 * `expect` lines that pin what the draft achieves, measured on its own plan: a later edit that loses a transfer, or
 * reinitialises more than the draft does, fails review instead of passing silently.
 */
import type { StateDictPlan } from '../plan/plan-types.ts';
import { METRIC_STATUSES } from '../plan/evaluate-expectations.ts';
import { expectCountStatement, type DraftRule } from './draft-file.ts';

/** Returns the expectations every state dict of `plans` meets (the weakest one decides each bound). */
export function expectRules(plans: readonly StateDictPlan[]): DraftRule[] {
  const count = (plan: StateDictPlan, metric: string): number => plan.rows.filter((r) => METRIC_STATUSES[metric]!.includes(r.status)).length;
  const min = (metric: string): number => Math.min(...plans.map((p) => count(p, metric)));
  const max = (metric: string): number => Math.max(...plans.map((p) => count(p, metric)));
  const loadedShare = Math.min(...plans.map(loadedParamsPercent));
  const rules: DraftRule[] = [
    { statement: expectCountStatement('missing', '==', 0), why: 'Every target key is provided', confidence: 'certain' },
    { statement: expectCountStatement('unexpected', '==', 0), why: 'Every source key is used or dropped on purpose', confidence: 'certain' },
    { statement: expectCountStatement('loaded', '>=', min('loaded')), why: 'Tensors transferred (copied, renamed or assembled), as drafted', confidence: 'certain' },
  ];
  if (max('assembled') > 0) rules.push({ statement: expectCountStatement('assembled', '==', max('assembled')), why: 'Tensors built from blocks of source tensors', confidence: 'certain' });
  rules.push({ statement: expectCountStatement('reinit', '<=', max('reinit')), why: 'Tensors that start fresh, at most', confidence: 'certain' });
  rules.push({ statement: expectCountStatement('loaded', '>=', Math.floor(loadedShare * 10) / 10, { percent: true, params: true }), why: 'Share of the target parameters that come from the source', confidence: 'certain' });
  return rules;
}

function loadedParamsPercent(plan: StateDictPlan): number {
  const target = plan.rows.filter((r) => r.status !== 'dropped' && r.status !== 'unexpected');
  const total = target.reduce((n, r) => n + r.numel, 0);
  const loaded = target.filter((r) => METRIC_STATUSES.loaded!.includes(r.status)).reduce((n, r) => n + r.numel, 0);
  return total === 0 ? 100 : (100 * loaded) / total;
}
