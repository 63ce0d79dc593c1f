/**
 * Applies the remap statements, top to bottom, to the keys of one source state dict: renames,
 * drops, reinit marks, casts and slice assignments, each remembered with the rule that made it.
 * Comparison with the target happens afterwards (`compare-target.ts`).
 */
import type { KeyPattern, Slice, Statement } from '../../grammar/index.ts';
import type { DType } from '../checkpoint/types.ts';
import type { KeySpec } from './model-schema.ts';
import type { RenameStep } from './plan-types.ts';
import type { InitSpec } from './init-values.ts';
import type { NumberedStatement } from './rule-refs.ts';
import { compilePattern, compileSegment, isLiteralPattern, renameSegments, substitute } from './match-pattern.ts';
import { toInitSpec } from './to-init-spec.ts';

/** A source key on its way through the rules. */
export interface Entry {
  key: string;
  sourceKey: string;
  spec: KeySpec;
  steps: RenameStep[];
  dropped: number | null;
  reinit: { rule: number; init: InitSpec } | null;
  cast: { rule: number; dtype: DType } | null;
}

/** `TARGET[slice] <- [slice]`, with its source resolved to a source key. */
export interface Assignment {
  rule: number;
  targetKey: string;
  targetSlice: Slice | null;
  sourceKey: string;
  sourceShape: number[];
  sourceSlice: Slice | null;
}

/** A rule whose effect is decided only once the final keys are known. */
export interface DeferredRule<S extends Statement = Statement> {
  rule: number;
  statement: S;
}

/** Everything the statements did to one state dict. */
export interface RuleWalk {
  entries: Entry[];
  assignments: Assignment[];
  /** Reinit rules, for target keys that no source key reaches. */
  reinits: Array<{ rule: number; pattern: KeyPattern; init: InitSpec }>;
  onMismatch: { rule: number; init: InitSpec } | null;
  /** allow / expect / freeze / lr statements, evaluated on the final keys. */
  deferred: DeferredRule[];
  /** Matches per rule index. */
  matches: Map<number, number>;
  /** Rule index → a problem found while walking (e.g. an assignment without a source tensor). */
  problems: Array<{ rule: number; code: string; message: string }>;
}

/** Returns what `statements` do to the keys of `keys` (a source state dict, in file order). */
export function walkRules(keys: Map<string, KeySpec>, statements: NumberedStatement[]): RuleWalk {
  const walk: RuleWalk = {
    entries: [...keys].map(([key, spec]) => ({ key, sourceKey: key, spec, steps: [], dropped: null, reinit: null, cast: null })),
    assignments: [],
    reinits: [],
    onMismatch: null,
    deferred: [],
    matches: new Map(),
    problems: [],
  };
  for (const { index, statement } of statements) {
    walk.matches.set(index, (walk.matches.get(index) ?? 0) + applyStatement(walk, index, statement, keys));
  }
  return walk;
}

/** Returns how many keys the statement touched now (deferred statements count later). */
function applyStatement(walk: RuleWalk, rule: number, statement: Statement, keys: Map<string, KeySpec>): number {
  const live = walk.entries.filter((e) => e.dropped === null);
  switch (statement.kind) {
    case 'Rename':
      return statement.scope === 'segment' ? renameBySegment(live, rule, statement.from, statement.to) : renameByKey(live, rule, statement.from, statement.to);
    case 'Drop':
      return forMatching(live, statement.pattern, (e) => (e.dropped = rule));
    case 'Reinit': {
      const init = toInitSpec(statement.init);
      walk.reinits.push({ rule, pattern: statement.pattern, init });
      return forMatching(live, statement.pattern, (e) => (e.reinit = { rule, init }));
    }
    case 'Cast': {
      const dtype = statement.dtype.value as DType;
      return forMatching(live, statement.pattern, (e) => (e.cast = { rule, dtype }));
    }
    case 'OnMismatch':
      walk.onMismatch = statement.action === 'reinit' ? { rule, init: toInitSpec(statement.init) } : null;
      return 0;
    case 'Assign':
      return assign(walk, rule, statement, live, keys);
    case 'Allow':
    case 'ExpectCount':
    case 'ExpectWithin':
    case 'Freeze':
    case 'Lr':
      walk.deferred.push({ rule, statement });
      return 0;
    case 'Version':
    case 'In':
    case 'Let':
      return 0;
  }
}

function renameByKey(live: Entry[], rule: number, from: KeyPattern, to: KeyPattern): number {
  const matcher = compilePattern(from);
  return forEach(live, (e) => {
    const captures = matcher.match(e.key);
    if (!captures) return false;
    rename(e, rule, substitute(to, captures));
    return true;
  });
}

function renameBySegment(live: Entry[], rule: number, from: KeyPattern, to: KeyPattern): number {
  const matcher = compileSegment(from.segments[0]!);
  return forEach(live, (e) => {
    const renamed = renameSegments(e.key, matcher, to.segments[0]!);
    if (renamed === null) return false;
    rename(e, rule, renamed);
    return true;
  });
}

function rename(entry: Entry, rule: number, to: string): void {
  if (to === entry.key) return;
  entry.steps.push({ rule, from: entry.key, to });
  entry.key = to;
}

function assign(walk: RuleWalk, rule: number, statement: Extract<Statement, { kind: 'Assign' }>, live: Entry[], keys: Map<string, KeySpec>): number {
  if (!isLiteralPattern(statement.target) || (statement.source && !isLiteralPattern(statement.source))) {
    walk.problems.push({ rule, code: 'remap/assign-pattern', message: 'A slice assignment must name one target key and one source key, without wildcards.' });
    return 0;
  }
  const targetKey = formatKey(statement.target);
  let sourceKey: string;
  let sourceShape: number[];
  if (statement.source) {
    sourceKey = formatKey(statement.source);
    const spec = keys.get(sourceKey);
    if (!spec) return 0;
    sourceShape = spec.shape;
  } else {
    const entry = live.find((e) => e.key === targetKey);
    if (!entry) return 0;
    sourceKey = entry.sourceKey;
    sourceShape = entry.spec.shape;
  }
  walk.assignments.push({ rule, targetKey, targetSlice: statement.targetSlice, sourceKey, sourceShape, sourceSlice: statement.sourceSlice });
  return 1;
}

/** Returns a literal pattern's key (its segments joined; literal parts only). */
function formatKey(pattern: KeyPattern): string {
  return pattern.segments.map((s) => s.parts.map((p) => (p.kind === 'Literal' ? p.value : '')).join('')).join('.');
}

function forMatching(live: Entry[], pattern: KeyPattern, action: (e: Entry) => void): number {
  const matcher = compilePattern(pattern);
  return forEach(live, (e) => {
    if (!matcher.match(e.key)) return false;
    action(e);
    return true;
  });
}

function forEach(entries: Entry[], visit: (e: Entry) => boolean): number {
  let n = 0;
  for (const e of entries) if (visit(e)) n++;
  return n;
}
