/** Evaluates `expect` statements on the rows of each state dict's plan. */
import type { Comparator, ExpectCountStatement, ExpectWithinStatement } from '../../grammar/index.ts';
import type { ExpectationResult, KeyStatus, PlanRow, StateDictPlan } from './plan-types.ts';
import { matchingRows } from './compare-target.ts';

/** The statuses each metric of `grammar/vocabulary.ts` counts. */
export const METRIC_STATUSES: Readonly<Record<string, readonly KeyStatus[]>> = {
  loaded: ['loaded', 'renamed', 'assembled'],
  renamed: ['renamed'],
  assembled: ['assembled'],
  reinit: ['reinit'],
  dropped: ['dropped'],
  missing: ['missing', 'filled'],
  unexpected: ['unexpected'],
};

const SOURCE_SIDE: readonly KeyStatus[] = ['dropped', 'unexpected'];

/** Returns the result of one `expect` statement over every state dict plan it applies to. */
export function evaluateExpectation(rule: number, statement: ExpectCountStatement | ExpectWithinStatement, plans: StateDictPlan[]): ExpectationResult {
  const measured = new Map<string, string>();
  let passed = true;
  for (const plan of plans) {
    const outcome = statement.kind === 'ExpectCount' ? measureCount(statement, plan.rows) : measureWithin(statement, plan.rows);
    measured.set(plan.name, outcome.text);
    passed &&= outcome.passed;
  }
  return { rule, passed, measured };
}

function measureCount(statement: ExpectCountStatement, rows: PlanRow[]): { passed: boolean; text: string } {
  const statuses = METRIC_STATUSES[statement.metric.value] ?? [];
  const sourceSide = statuses.every((s) => SOURCE_SIDE.includes(s));
  const inScope = matchingRows(rows, statement.scope).filter((r) => SOURCE_SIDE.includes(r.status) === sourceSide);
  const weigh = (list: PlanRow[]) => (statement.measure === 'params' ? list.reduce((n, r) => n + r.numel, 0) : list.length);
  const hit = weigh(inScope.filter((r) => statuses.includes(r.status)));
  const total = weigh(inScope);
  const value = statement.percent ? (total === 0 ? 0 : (100 * hit) / total) : hit;
  const text = statement.percent ? `${value.toFixed(1)}%` : String(value);
  return { passed: compare(value, statement.comparator, statement.value), text };
}

function measureWithin(statement: ExpectWithinStatement, rows: PlanRow[]): { passed: boolean; text: string } {
  const statuses = METRIC_STATUSES[statement.metric.value] ?? [];
  const inClass = rows.filter((r) => statuses.includes(r.status));
  const inside = new Set(matchingRows(inClass, statement.scope));
  const outside = inClass.filter((r) => !inside.has(r));
  const text = outside.length === 0 ? `all ${inClass.length} within` : `${outside.length} outside, e.g. "${outside[0]!.key}"`;
  return { passed: outside.length === 0, text };
}

function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}
