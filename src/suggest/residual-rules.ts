/**
 * What the renames leave over, read off the plan of the draft so far: source keys the target lacks (`drop`), target
 * keys nothing provides (`reinit`), tensors whose shape differs (`reinit` naming the dimension, or the fusion-layer
 * blocks, also where the fusion layer's shape agrees but its columns do not) and dtypes that differ (`cast`). Runs of
 * keys that cover a whole subtree become one `prefix.**` rule.
 */
import { DTYPES } from '../../grammar/index.ts';
import type { PlanRow, StateDictPlan } from '../plan/plan-types.ts';
import { formatShape } from '../plan/model-schema.ts';
import { castStatement, dropStatement, reinitStatement, type DraftRule } from './draft-file.ts';
import { fusionRules, isFusionKey, type FusionInput } from './fusion-rules.ts';

/** Returns the rules that settle every row of `plan` that would not load, fusion layers through `fusion`. */
export function residualRules(plan: StateDictPlan, fusion: Omit<FusionInput, 'key' | 'sourceShape' | 'targetShape'>): DraftRule[] {
  const rows = plan.rows;
  const sourceSide = rows.filter((r) => r.sourceKey !== null && r.status !== 'dropped').map((r) => r.key);
  const targetSide = rows.filter((r) => r.targetShape !== null).map((r) => r.key);
  const unexpected = rows.filter((r) => r.status === 'unexpected').map((r) => r.key);
  const missing = rows.filter((r) => r.status === 'missing' || r.status === 'filled').map((r) => r.key);
  const rules: DraftRule[] = [];
  for (const prefix of coveringPrefixes(unexpected, sourceSide)) {
    rules.push({ statement: dropStatement(prefix.segments), why: `${countOf(prefix.count, 'source tensor')} the target has no place for${prefix.count > 1 ? ` (all of "${prefix.segments.slice(0, -1).join('.')}")` : ''}`, confidence: 'certain' });
  }
  for (const prefix of coveringPrefixes(missing, targetSide)) {
    rules.push({ statement: reinitStatement(prefix.segments), why: `${countOf(prefix.count, 'target tensor')} no source tensor provides${prefix.count > 1 ? ` (all of "${prefix.segments.slice(0, -1).join('.')}")` : ''}; default init, as a fresh target model has`, confidence: 'certain' });
  }
  for (const row of rows) {
    if (row.status === 'size-mismatch') rules.push(...mismatchRules(row, fusion));
    // Same shape is not the same meaning: with the obs keys in another order, the columns must move all the same.
    if ((row.status === 'loaded' || row.status === 'renamed') && isFusionKey(row.key) && fusion.source && fusion.target) {
      rules.push(...fusionRules({ ...fusion, key: row.key.split('.'), sourceShape: row.sourceShape!, targetShape: row.targetShape! }));
    }
    if (row.status === 'dtype-mismatch' && row.targetDType) rules.push(dtypeRule(row, row.targetDType));
  }
  return rules;
}

function mismatchRules(row: PlanRow, fusion: Omit<FusionInput, 'key' | 'sourceShape' | 'targetShape'>): DraftRule[] {
  const key = row.key.split('.');
  const source = row.sourceShape!;
  const target = row.targetShape!;
  if (isFusionKey(row.key) && source.length === 2 && target.length === 2) return fusionRules({ ...fusion, key, sourceShape: source, targetShape: target });
  return [{ statement: reinitStatement(key), why: `${formatShape(source)} -> ${formatShape(target)}: ${dimensionsThatDiffer(source, target)}, so it starts fresh (default init, as a new target model has)`, confidence: 'certain' }];
}

/** `cast` converts between floating types only; a tensor of another dtype on one side starts fresh instead. */
function dtypeRule(row: PlanRow, target: string): DraftRule {
  const why = `The source stores ${row.sourceDType}, the target ${target}`;
  if (DTYPES.includes(target) && DTYPES.includes(row.sourceDType ?? '')) return { statement: castStatement(row.key.split('.'), target), why, confidence: 'certain' };
  return { statement: reinitStatement(row.key.split('.')), why: `${why}, which \`cast\` does not convert, so it starts fresh`, confidence: 'certain' };
}

/** Returns which dimensions differ, e.g. `dimension 1 differs (10 vs 7)`, or that the ranks differ. */
export function dimensionsThatDiffer(source: readonly number[], target: readonly number[]): string {
  if (source.length !== target.length) return `rank ${source.length} vs ${target.length}`;
  const dims = source.flatMap((d, i) => (d === target[i] ? [] : [`dimension ${i} differs (${d} vs ${target[i]})`]));
  return dims.join(', ');
}

/**
 * Returns the fewest patterns that name exactly `chosen` among `universe`: a subtree all of whose keys are chosen
 * becomes `prefix.**`, a lone key stays itself.
 */
export function coveringPrefixes(chosen: readonly string[], universe: readonly string[]): Array<{ segments: string[]; count: number }> {
  if (chosen.length === 0) return [];
  const picked = new Set(chosen);
  const totals = new Map<string, { all: number; picked: number }>();
  for (const key of universe) {
    const segments = key.split('.');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      const t = totals.get(prefix) ?? { all: 0, picked: 0 };
      t.all++;
      if (picked.has(key)) t.picked++;
      totals.set(prefix, t);
    }
  }
  const out: Array<{ segments: string[]; count: number }> = [];
  const covered = new Set<string>();
  for (const key of chosen) {
    if (covered.has(key)) continue;
    const segments = key.split('.');
    let best: string | null = null;
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      const t = totals.get(prefix)!;
      if (t.all === t.picked && t.all > 1) {
        best = prefix;
        break;
      }
    }
    if (best === null) {
      out.push({ segments, count: 1 });
      covered.add(key);
      continue;
    }
    const members = chosen.filter((k) => k.startsWith(`${best}.`));
    for (const k of members) covered.add(k);
    out.push({ segments: [...best.split('.'), '**'], count: members.length });
  }
  return out;
}

function countOf(n: number, what: string): string {
  return n === 1 ? `A ${what}` : `${n} ${what}s`;
}
