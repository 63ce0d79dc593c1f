/**
 * The planner: resolves remap programs against a source and a target into a `Plan` — per state dict
 * in scope, what each key becomes, which rule decided it, and whether the result loads under
 * strict and loose `load_state_dict` semantics. Reads no tensor bytes.
 */
import { createHash } from 'node:crypto';
import { patternsOf, type KeyPattern, type RangeDim, type Statement } from '../../grammar/index.ts';
import { MAX_DIAGNOSTICS, type Diagnostic } from '../diagnostics.ts';
import { ANY_STATE_DICT, findStateDict, type ModelSchema, type StateDictSchema } from './model-schema.ts';
import type { Plan, RuleUsage, StateDictPlan, Verdict } from './plan-types.ts';
import { numberRules, type NumberedStatement, type RemapSource } from './rule-refs.ts';
import { walkRules } from './walk-rules.ts';
import { compareTarget, matchingRows, type Problem } from './compare-target.ts';
import { evaluateExpectation } from './evaluate-expectations.ts';
import { compilePattern, formatPattern } from './match-pattern.ts';
import { didYouMean } from './did-you-mean.ts';

export interface ResolveInput {
  source: ModelSchema;
  target: ModelSchema | null;
  remaps: RemapSource[];
  mode: 'strict' | 'loose';
  /** Fill missing keys in the output (`--no-fill` turns it off). */
  fill: boolean;
}

/**
 * Statements that must match at least one key; a typo in them must not pass silently. A key rule written `optional`
 * may match nothing: that is an info diagnostic and a note on the rule, not an error.
 */
const MUST_MATCH = new Set<Statement['kind']>(['Rename', 'Drop', 'Reinit', 'Assign', 'Allow', 'Freeze', 'Lr', 'Cast', 'ExpectWithin']);

/** Returns the plan for `input`; problems are in `plan.diagnostics`, never thrown. */
export function resolvePlan(input: ResolveInput): Plan {
  const { statements, rules } = numberRules(input.remaps);
  const lets = collectLets(statements);
  const scopes = fileScopes(input, statements, rules);
  const problems: Array<Problem & { dict: string }> = [];
  const plans: StateDictPlan[] = [];
  for (const dict of scopes.dicts) {
    const applicable = statements.filter((s) => scopes.includes(s.file, dict.name));
    const walk = walkRules(dict.keys, applicable);
    const targetDict = input.target ? findStateDict(input.target, dict.name) : undefined;
    if (input.target && !targetDict) {
      problems.push({ dict: dict.name, code: 'load/no-target-state-dict', key: dict.name, rules: [], strictOnly: false, message: `The target "${input.target.path}" has no state dict "${dict.name}".`, hint: `Name the state dicts to transform with an "in" statement.` });
    }
    const compared = compareTarget(walk, targetDict?.keys ?? null, { lets, fill: input.fill, targetHasValues: input.target?.kind === 'checkpoint' });
    for (const p of walk.problems) problems.push({ dict: dict.name, code: p.code, key: '', rules: [p.rule], strictOnly: false, message: p.message });
    for (const p of compared.problems) problems.push({ ...p, dict: dict.name });
    const plan: StateDictPlan = { name: dict.name, applied: applicable.map((s) => s.index), checked: targetDict !== undefined, rows: compared.rows };
    countDeferred(walk.deferred, plan, walk.matches);
    for (const [rule, n] of walk.matches) rules[rule]!.matches.set(dict.name, n);
    plans.push(plan);
  }
  countOnMismatch(rules, plans);
  const expectations = statements.flatMap(({ index, file, statement }) =>
    statement.kind === 'ExpectCount' || statement.kind === 'ExpectWithin' ? [evaluateExpectation(index, statement, plans.filter((p) => scopes.includes(file, p.name)))] : [],
  );
  const diagnostics = [
    ...scopes.diagnostics,
    ...noMatchDiagnostics(statements, rules, input),
    ...problemDiagnostics(problems, rules, plans.length, input.mode),
    ...expectations.filter((e) => !e.passed).map((e): Diagnostic => expectationDiagnostic(e.rule, rules, [...e.measured].map(([d, m]) => `${d}: ${m}`).join(', '))),
  ];
  const fatal = diagnostics.filter((d) => d.severity === 'error' && !isStrictOnly(d.code)).length;
  const strictOnly = diagnostics.filter((d) => isStrictOnly(d.code)).length;
  const verdict: { strict: Verdict; loose: Verdict } = {
    strict: { ok: fatal + strictOnly === 0, errors: fatal + strictOnly },
    loose: { ok: fatal === 0, errors: fatal },
  };
  return {
    source: { path: input.source.path, kind: input.source.kind },
    target: input.target ? { path: input.target.path, kind: input.target.kind } : null,
    remaps: input.remaps.map((r) => ({ file: r.file, sha256: createHash('sha256').update(r.text).digest('hex') })),
    mode: input.mode,
    stateDicts: plans,
    rules,
    expectations,
    // Errors first, so the cap never hides what fails the plan behind warnings.
    diagnostics: [...diagnostics].sort((a, b) => severityRank(a) - severityRank(b)).slice(0, MAX_DIAGNOSTICS),
    verdict,
    ok: verdict[input.mode].ok,
  };
}

function severityRank(d: Diagnostic): number {
  return d.severity === 'error' ? 0 : d.severity === 'warning' ? 1 : 2;
}

function isStrictOnly(code: string): boolean {
  return code === 'load/missing' || code === 'load/unexpected';
}

function collectLets(statements: NumberedStatement[]): Map<string, RangeDim> {
  const lets = new Map<string, RangeDim>();
  for (const { statement } of statements) if (statement.kind === 'Let') lets.set(statement.name.value, statement.range);
  return lets;
}

interface Scopes {
  dicts: StateDictSchema[];
  includes(file: string, dict: string): boolean;
  diagnostics: Diagnostic[];
}

/**
 * Returns the state dicts the remaps apply to. Each file applies to the dicts its `in` statement
 * names (every dict when it has none). An unnamed manifest source stands in for each named dict.
 */
function fileScopes(input: ResolveInput, statements: NumberedStatement[], rules: RuleUsage[]): Scopes {
  const perFile = new Map<string, KeyPattern[]>();
  const ins = statements.filter((s) => s.statement.kind === 'In');
  for (const s of ins) perFile.set(s.file, [...(perFile.get(s.file) ?? []), ...(s.statement as { scopes: KeyPattern[] }).scopes]);
  const includes = (file: string, dict: string) => {
    const patterns = perFile.get(file);
    return !patterns || dict === ANY_STATE_DICT || patterns.some((p) => compilePattern(p).match(dict) !== null);
  };
  const named = input.source.stateDicts.some((d) => d.name !== ANY_STATE_DICT);
  const diagnostics: Diagnostic[] = [];
  let dicts: StateDictSchema[];
  if (named) {
    const everywhere = input.remaps.some((r) => !perFile.has(r.file)) || input.remaps.length === 0;
    dicts = input.source.stateDicts.filter((d) => everywhere || input.remaps.some((r) => includes(r.file, d.name)));
    for (const s of ins) {
      for (const p of (s.statement as { scopes: KeyPattern[] }).scopes) {
        if (input.source.stateDicts.some((d) => compilePattern(p).match(d.name))) continue;
        const names = input.source.stateDicts.map((d) => d.name);
        diagnostics.push(noMatch(rules[s.index]!, p, `State dict "${formatPattern(p)}" is not in "${input.source.path}" (it has ${names.map((n) => `"${n || '<root>'}"`).join(', ')}).`, names));
      }
    }
  } else {
    // A manifest names no state dict: use the names the remap or the target gives, or one unnamed dict.
    const source = input.source.stateDicts[0]!;
    const fromIn = ins.flatMap((s) => (s.statement as { scopes: KeyPattern[] }).scopes.map(formatPattern));
    const fromTarget = input.target?.stateDicts.map((d) => d.name).filter((n) => n !== ANY_STATE_DICT) ?? [];
    const names = fromIn.length ? [...new Set(fromIn)] : fromTarget.length ? fromTarget : [ANY_STATE_DICT];
    dicts = names.map((name) => ({ name, keys: source.keys }));
  }
  return { dicts, includes, diagnostics };
}

/** Counts matches of allow-independent deferred rules (freeze, lr, expect scopes) on the output keys. */
function countDeferred(deferred: Array<{ rule: number; statement: Statement }>, plan: StateDictPlan, matches: Map<number, number>): void {
  const output = plan.rows.filter((r) => r.status !== 'dropped' && r.status !== 'unexpected');
  for (const { rule, statement } of deferred) {
    let n: number | null = null;
    if (statement.kind === 'Freeze' || statement.kind === 'Lr') n = matchingRows(output, statement.pattern).length;
    if (statement.kind === 'ExpectWithin') n = matchingRows(plan.rows, statement.scope).length;
    if (statement.kind === 'ExpectCount') n = statement.scope ? matchingRows(plan.rows, statement.scope).length : plan.rows.length;
    if (n !== null) matches.set(rule, (matches.get(rule) ?? 0) + n);
  }
}

function countOnMismatch(rules: RuleUsage[], plans: StateDictPlan[]): void {
  for (const usage of rules) {
    if (usage.ref.kind !== 'OnMismatch') continue;
    for (const plan of plans) usage.matches.set(plan.name, plan.rows.filter((r) => r.rule === usage.ref.index).length);
  }
}

function noMatchDiagnostics(statements: NumberedStatement[], rules: RuleUsage[], input: ResolveInput): Diagnostic[] {
  const keys = new Set<string>();
  for (const side of [input.source, input.target]) for (const d of side?.stateDicts ?? []) for (const k of d.keys.keys()) keys.add(k);
  const out: Diagnostic[] = [];
  for (const { index, statement } of statements) {
    const usage = rules[index]!;
    const total = [...usage.matches.values()].reduce((a, b) => a + b, 0);
    const pattern = primaryPattern(statement);
    if (total > 0 || !pattern || !(MUST_MATCH.has(statement.kind) || (statement.kind === 'ExpectCount' && statement.scope))) continue;
    if (usage.matches.size === 0) continue; // its file applies to no state dict in scope: reported by "in"
    const segmentRename = statement.kind === 'Rename' && statement.scope === 'segment';
    const candidates = segmentRename ? [...keys].flatMap((k) => k.split('.')) : [...keys];
    const what = statement.kind === 'Assign' && !statement.source ? `No source key maps to "${formatPattern(pattern)}" at this point` : `Pattern "${formatPattern(pattern)}" matches no key`;
    if ('optional' in statement && statement.optional) out.push(optionalNoMatch(usage, pattern, `${what} (the rule is optional).`, candidates));
    else out.push(noMatch(usage, pattern, `${what}.`, candidates));
  }
  return out;
}

function noMatch(usage: RuleUsage, pattern: KeyPattern, message: string, candidates: string[]): Diagnostic {
  usage.warnings.push('matches nothing');
  return {
    code: 'remap/no-match',
    severity: 'error',
    message: withSuggestion(message, pattern, candidates),
    spans: [pattern.span],
    hint: 'optional' in usage.statement
      ? 'A rule that matches nothing is usually a typo; fix the pattern, remove the rule, or write "optional" before it if only some checkpoints have such keys.'
      : 'A rule that matches nothing is usually a typo; fix the pattern or remove the rule.',
  };
}

/** An optional rule that matched nothing: said once in the diagnostics (info) and noted on the rule. */
function optionalNoMatch(usage: RuleUsage, pattern: KeyPattern, message: string, candidates: string[]): Diagnostic {
  usage.notes.push('optional, matches nothing');
  // The suggestion stays: a typo in an optional rule would otherwise pass unseen.
  return { code: 'remap/no-match', severity: 'info', message: withSuggestion(message, pattern, candidates), spans: [pattern.span] };
}

function withSuggestion(message: string, pattern: KeyPattern, candidates: string[]): string {
  const suggestion = didYouMean(formatPattern(pattern), candidates);
  return suggestion ? `${message} Did you mean "${suggestion}"?` : message;
}

/** The pattern a rule's "matches nothing" points at: an assignment's source, else the first pattern it has. */
function primaryPattern(statement: Statement): KeyPattern | null {
  if (statement.kind === 'Assign') return statement.source ?? statement.target;
  return patternsOf(statement)[0] ?? null;
}

/** Merges the same problem found in several state dicts into one diagnostic. */
function problemDiagnostics(problems: Array<Problem & { dict: string }>, rules: RuleUsage[], dictCount: number, mode: 'strict' | 'loose'): Diagnostic[] {
  const merged = new Map<string, { problem: Problem; dicts: string[] }>();
  for (const p of problems) {
    const id = `${p.code}\0${p.key}\0${p.message}`;
    const seen = merged.get(id);
    if (seen) seen.dicts.push(p.dict);
    else merged.set(id, { problem: p, dicts: [p.dict] });
  }
  return [...merged.values()].map(({ problem, dicts }) => ({
    code: problem.code,
    severity: problem.strictOnly && mode === 'loose' ? 'warning' : 'error',
    message: dicts.length < dictCount ? `${problem.message} (only in ${dicts.map((d) => `"${d}"`).join(', ')})` : problem.message,
    spans: problem.rules.map((r) => rules[r]!.ref.span),
    ...(problem.hint ? { hint: problem.hint } : {}),
  }));
}

function expectationDiagnostic(rule: number, rules: RuleUsage[], measured: string): Diagnostic {
  const ref = rules[rule]!.ref;
  return { code: 'expect/failed', severity: 'error', message: `Expectation "${ref.text}" failed: measured ${measured}.`, spans: [ref.span] };
}
