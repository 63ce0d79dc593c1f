/**
 * Compares what the rules made of one source state dict with the target state dict, the way
 * `load_state_dict` would: every target key is loaded, assembled, reinitialised, filled or missing;
 * every left-over source key is unexpected. Produces the plan rows and the problems found.
 */
import type { KeyPattern, RangeDim } from '../../grammar/index.ts';
import { numelOf } from '../checkpoint/py-value.ts';
import { formatShape, type KeySpec } from './model-schema.ts';
import type { Block, PlanRow } from './plan-types.ts';
import type { InitSpec } from './init-values.ts';
import { compilePattern } from './match-pattern.ts';
import { boxesOverlap, boxShape, formatBox, resolveSlice } from './resolve-slices.ts';
import type { Assignment, Entry, RuleWalk } from './walk-rules.ts';

/** A problem with one key. `strictOnly` problems (missing, unexpected) are errors only in strict mode. */
export interface Problem {
  code: string;
  key: string;
  message: string;
  /** The rule(s) to point at; a collision names both. */
  rules: number[];
  hint?: string;
  strictOnly: boolean;
}

export interface CompareOptions {
  lets: Map<string, RangeDim>;
  /** Write missing keys (from the target's values when `targetHasValues`, else by `default` init). */
  fill: boolean;
  targetHasValues: boolean;
}

/** Returns the rows of one state dict's plan and its problems; updates `walk.matches` for rules matched here. */
export function compareTarget(walk: RuleWalk, target: Map<string, KeySpec> | null, options: CompareOptions): { rows: PlanRow[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const live = walk.entries.filter((e) => e.dropped === null);
  const byKey = groupByKey(live, problems);
  const rows: PlanRow[] = [];
  const used = new Set<Entry>();
  if (target) {
    const assigned = groupAssignments(walk.assignments);
    for (const [key, spec] of target) {
      const entry = byKey.get(key);
      if (entry) used.add(entry);
      const assignments = assigned.get(key);
      if (assignments) rows.push(assembledRow(key, spec, entry, assignments, walk, options, problems));
      else if (entry) rows.push(loadedRow(entry, spec, walk, problems));
      else rows.push(uncoveredRow(key, spec, walk, options, problems));
    }
  } else {
    for (const a of walk.assignments) problems.push({ code: 'remap/assign-needs-target', key: a.targetKey, rules: [a.rule], strictOnly: false, message: `Slice assignment to "${a.targetKey}" needs a target to know the tensor's shape.`, hint: 'Pass --target with a checkpoint or manifest of the target model.' });
    for (const entry of byKey.values()) {
      used.add(entry);
      rows.push(entry.reinit ? baseRow(entry.key, entry, entry.spec, 'reinit', entry.reinit.rule, entry.reinit.init) : loadedRow(entry, entry.spec, walk, problems));
    }
  }
  for (const entry of byKey.values()) if (!used.has(entry)) rows.push(unexpectedRow(entry, problems));
  for (const entry of walk.entries) if (entry.dropped !== null) rows.push(baseRow(entry.key, entry, null, 'dropped', entry.dropped, null));
  applyAllows(walk, rows, target, problems);
  if (!options.targetHasValues) {
    for (const row of rows) {
      if (row.init?.kind !== 'target' || row.status === 'filled') continue;
      problems.push({ code: 'remap/init-needs-target', key: row.key, rules: row.rule === null ? [] : [row.rule], strictOnly: false, message: `Init "target" for "${row.key}" needs a target checkpoint with values.`, hint: 'Pass --target with a checkpoint (not a manifest), or use another init kind.' });
    }
  }
  return { rows, problems };
}

function groupByKey(live: Entry[], problems: Problem[]): Map<string, Entry> {
  const byKey = new Map<string, Entry>();
  for (const entry of live) {
    const first = byKey.get(entry.key);
    if (!first) {
      byKey.set(entry.key, entry);
      continue;
    }
    const rules = [lastRule(first), lastRule(entry)].filter((r): r is number => r !== null);
    problems.push({ code: 'remap/collision', key: entry.key, rules, strictOnly: false, message: `Source keys "${first.sourceKey}" and "${entry.sourceKey}" both map to "${entry.key}".`, hint: 'Make the renames distinct, or drop one of the two source keys.' });
  }
  return byKey;
}

function groupAssignments(assignments: Assignment[]): Map<string, Assignment[]> {
  const out = new Map<string, Assignment[]>();
  for (const a of assignments) out.set(a.targetKey, [...(out.get(a.targetKey) ?? []), a]);
  return out;
}

function lastRule(entry: Entry): number | null {
  return entry.steps.at(-1)?.rule ?? null;
}

function baseRow(key: string, entry: Entry | null, targetSpec: KeySpec | null, status: PlanRow['status'], rule: number | null, init: InitSpec | null): PlanRow {
  return {
    key,
    sourceKey: entry?.sourceKey ?? null,
    status,
    sourceShape: entry?.spec.shape ?? null,
    sourceDType: entry?.spec.dtype ?? null,
    targetShape: targetSpec?.shape ?? null,
    targetDType: targetSpec?.dtype ?? null,
    steps: entry?.steps ?? [],
    rule,
    init,
    blocks: [],
    allowed: false,
    cast: entry?.cast?.dtype ?? null,
    numel: numelOf((targetSpec ?? entry?.spec)?.shape ?? []),
  };
}

function loadedRow(entry: Entry, spec: KeySpec, walk: RuleWalk, problems: Problem[]): PlanRow {
  if (entry.reinit) return baseRow(entry.key, entry, spec, 'reinit', entry.reinit.rule, entry.reinit.init);
  const rule = lastRule(entry);
  if (!sameShape(entry.spec.shape, spec.shape)) {
    if (walk.onMismatch) return baseRow(entry.key, entry, spec, 'reinit', walk.onMismatch.rule, walk.onMismatch.init);
    problems.push({
      code: 'load/size-mismatch',
      key: entry.key,
      rules: rule === null ? [] : [rule],
      strictOnly: false,
      message: `Size mismatch for "${entry.key}": copying a param with shape ${formatShape(entry.spec.shape)} from checkpoint, the shape in current model is ${formatShape(spec.shape)}.`,
      hint: `Add "reinit ${entry.key}", a slice assignment such as "${entry.key}[...] <- [...]", or "on mismatch reinit". strict=False does not forgive this.`,
    });
    return baseRow(entry.key, entry, spec, 'size-mismatch', rule, null);
  }
  const dtype = entry.cast?.dtype ?? entry.spec.dtype;
  if (dtype !== spec.dtype) {
    problems.push({
      code: 'load/dtype-mismatch',
      key: entry.key,
      rules: entry.cast ? [entry.cast.rule] : rule === null ? [] : [rule],
      strictOnly: false,
      message: `Dtype mismatch for "${entry.key}": the checkpoint has ${dtype}, the model expects ${spec.dtype}.`,
      hint: `Add "cast ${entry.key} to ${spec.dtype}" (or a pattern covering it).`,
    });
    return baseRow(entry.key, entry, spec, 'dtype-mismatch', rule, null);
  }
  return baseRow(entry.key, entry, spec, entry.key === entry.sourceKey ? 'loaded' : 'renamed', entry.cast?.rule ?? rule, null);
}

function uncoveredRow(key: string, spec: KeySpec, walk: RuleWalk, options: CompareOptions, problems: Problem[]): PlanRow {
  const reinit = walk.reinits.find((r) => compilePattern(r.pattern).match(key));
  if (reinit) {
    walk.matches.set(reinit.rule, (walk.matches.get(reinit.rule) ?? 0) + 1);
    return baseRow(key, null, spec, 'reinit', reinit.rule, reinit.init);
  }
  problems.push({ code: 'load/missing', key, rules: [], strictOnly: true, message: `Missing key "${key}": no source key provides it.`, hint: `Map a source key to it, "reinit" it, or "allow missing ${key}".` });
  if (!options.fill) return baseRow(key, null, spec, 'missing', null, null);
  return baseRow(key, null, spec, 'filled', null, options.targetHasValues ? { kind: 'target' } : { kind: 'default' });
}

function unexpectedRow(entry: Entry, problems: Problem[]): PlanRow {
  const rule = lastRule(entry);
  problems.push({ code: 'load/unexpected', key: entry.key, rules: rule === null ? [] : [rule], strictOnly: true, message: `Unexpected key "${entry.key}": the target has no such key.`, hint: `Rename it to a target key, "drop ${entry.key}", or "allow unexpected ${entry.key}".` });
  return baseRow(entry.key, entry, null, 'unexpected', rule, null);
}

function assembledRow(key: string, spec: KeySpec, entry: Entry | undefined, assignments: Assignment[], walk: RuleWalk, options: CompareOptions, problems: Problem[]): PlanRow {
  const blocks: Block[] = [];
  for (const a of assignments) {
    const block = resolveBlock(a, spec.shape, options.lets);
    if (typeof block === 'string') {
      problems.push({ code: 'remap/bad-slice', key, rules: [a.rule], strictOnly: false, message: `Slice assignment to "${key}": ${block}.` });
      continue;
    }
    const earlier = blocks.find((b) => boxesOverlap(b.targetBox, block.targetBox));
    if (earlier) problems.push({ code: 'remap/overlapping-slices', key, rules: [earlier.rule, a.rule], strictOnly: false, message: `Slice assignments to "${key}" overlap: ${formatBox(earlier.targetBox, spec.shape)} and ${formatBox(block.targetBox, spec.shape)}.` });
    blocks.push(block);
  }
  const reinit = entry?.reinit ?? walk.reinits.find((r) => compilePattern(r.pattern).match(key)) ?? walk.onMismatch;
  const row = baseRow(key, entry ?? null, spec, 'assembled', assignments[0]!.rule, reinit?.init ?? { kind: 'default' });
  row.sourceKey = assignments[0]!.sourceKey;
  row.sourceShape = entry?.spec.shape ?? assignments[0]!.sourceShape;
  row.blocks = blocks;
  return row;
}

function resolveBlock(a: Assignment, targetShape: number[], lets: Map<string, RangeDim>): Block | string {
  const targetBox = resolveSlice(a.targetSlice, targetShape, lets);
  if (typeof targetBox === 'string') return `target ${targetBox}`;
  const sourceBox = resolveSlice(a.sourceSlice, a.sourceShape, lets);
  if (typeof sourceBox === 'string') return `source "${a.sourceKey}": ${sourceBox}`;
  if (!sameShape(boxShape(targetBox), boxShape(sourceBox))) {
    return `the target block ${formatBox(targetBox, targetShape)} is ${formatShape(boxShape(targetBox))} but the source block ${formatBox(sourceBox, a.sourceShape)} of "${a.sourceKey}" is ${formatShape(boxShape(sourceBox))}`;
  }
  return { rule: a.rule, targetBox, sourceKey: a.sourceKey, sourceBox };
}

/** Marks missing/unexpected rows that an `allow` accepts and drops their problems; counts each allow's matches. */
function applyAllows(walk: RuleWalk, rows: PlanRow[], target: Map<string, KeySpec> | null, problems: Problem[]): void {
  for (const { rule, statement } of walk.deferred) {
    if (statement.kind !== 'Allow') continue;
    const matcher = compilePattern(statement.pattern);
    const universe = statement.what === 'missing' ? [...(target?.keys() ?? [])] : rows.filter((r) => r.status !== 'dropped').map((r) => r.key);
    walk.matches.set(rule, (walk.matches.get(rule) ?? 0) + universe.filter((k) => matcher.match(k)).length);
    const code = statement.what === 'missing' ? 'load/missing' : 'load/unexpected';
    const statuses = statement.what === 'missing' ? ['missing', 'filled'] : ['unexpected'];
    for (const row of rows) {
      if (!statuses.includes(row.status) || !matcher.match(row.key)) continue;
      row.allowed = true;
      row.rule ??= rule;
      const i = problems.findIndex((p) => p.code === code && p.key === row.key);
      if (i >= 0) problems.splice(i, 1);
    }
  }
}

/** Returns the keys of `rows` (output side) that `pattern` matches, for freeze/lr/expect scopes. */
export function matchingRows(rows: PlanRow[], pattern: KeyPattern | null): PlanRow[] {
  if (!pattern) return rows;
  const matcher = compilePattern(pattern);
  return rows.filter((r) => matcher.match(r.key));
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
