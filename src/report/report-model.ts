/**
 * The report of a plan as plain data, shared by every renderer and written as-is by `--format json`
 * (so its shape is versioned): summary, verdicts, rows grouped by module with collapsed indices, the
 * rule table, expectations and diagnostics, each pointing at `file:line`.
 */
import type { Diagnostic } from '../diagnostics.ts';
import type { KeyStatus, Plan, PlanRow, StateDictPlan } from '../plan/plan-types.ts';
import { formatShape } from '../plan/model-schema.ts';
import { formatInit } from '../plan/to-init-spec.ts';
import { describeDefaultInit } from '../plan/init-values.ts';
import { formatBox } from '../plan/resolve-slices.ts';
import { lineColumn } from './line-index.ts';
import { collapseKeys } from './collapse-keys.ts';

export const REPORT_SCHEMA = 'surgery-plan-report';
/** Bump on any incompatible change of `ReportModel`; tools check it. */
export const REPORT_VERSION = 1;

/** Statements that do not act on keys, so a match count would mean nothing. */
const NO_KEYS = new Set(['Version', 'In', 'Let']);

/** Statuses in the order reports list them. */
export const STATUS_ORDER: readonly KeyStatus[] = ['loaded', 'renamed', 'assembled', 'reinit', 'filled', 'missing', 'dropped', 'unexpected', 'size-mismatch', 'dtype-mismatch'];

export interface StatusCount {
  status: KeyStatus;
  tensors: number;
  params: number;
  /** Share of the target's parameters (elements over target keys); null for source-side statuses. */
  percentOfTarget: number | null;
}

export interface ReportRow {
  /** The key relative to its module (`…` stands for the module prefix); collapsed indices as `{0..2}`. */
  key: string;
  /** The source key when it differs (single rows only). */
  source: string | null;
  /** How many keys this (collapsed) row stands for. */
  count: number;
  status: KeyStatus;
  allowed: boolean;
  sourceShape: string | null;
  targetShape: string | null;
  /** `file:line` of the deciding rule, or null. */
  rule: string | null;
  /** What else a reviewer needs: source key of a rename, init, blocks. */
  note: string;
}

export interface ReportModule {
  module: string;
  counts: Partial<Record<KeyStatus, number>>;
  rows: ReportRow[];
}

export interface ReportSection {
  /** The state dicts this section stands for (identical plans are reported once). */
  stateDicts: string[];
  checked: boolean;
  targetTensors: number;
  targetParams: number;
  summary: StatusCount[];
  modules: ReportModule[];
}

export interface ReportModel {
  schema: typeof REPORT_SCHEMA;
  version: typeof REPORT_VERSION;
  source: { path: string; kind: string };
  target: { path: string; kind: string } | null;
  remaps: Array<{ file: string; sha256: string }>;
  mode: 'strict' | 'loose';
  ok: boolean;
  verdict: { strict: { ok: boolean; errors: number }; loose: { ok: boolean; errors: number } };
  sections: ReportSection[];
  /** Per rule: `warnings` are problems with the rule (each also an error diagnostic), `notes` are remarks that are not. */
  rules: Array<{ rule: string; kind: string; text: string; matches: string; warnings: string[]; notes: string[] }>;
  expectations: Array<{ rule: string; text: string; passed: boolean; measured: string }>;
  diagnostics: Array<{ code: string; severity: string; message: string; at: string | null; hint: string | null }>;
  /** Extra lines from `apply` (dropped optimizer state, output path); empty for `plan`. */
  notes: string[];
}

/** Returns the report model of `plan`; `sources` maps remap file names to their text (for line numbers of diagnostics). */
export function buildReportModel(plan: Plan, sources: Map<string, string>, notes: string[] = []): ReportModel {
  const where = (rule: number | null) => (rule === null ? null : `${plan.rules[rule]!.file}:${plan.rules[rule]!.ref.line}`);
  return {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    source: plan.source,
    target: plan.target,
    remaps: plan.remaps,
    mode: plan.mode,
    ok: plan.ok,
    verdict: plan.verdict,
    sections: groupIdentical(plan.stateDicts).map((dicts) => buildSection(dicts, where)),
    rules: plan.rules.map((r) => ({ rule: where(r.ref.index)!, kind: r.ref.kind, text: r.ref.text, matches: NO_KEYS.has(r.ref.kind) ? '' : formatMatches(r.matches), warnings: r.warnings, notes: r.notes })),
    expectations: plan.expectations.map((e) => ({ rule: where(e.rule)!, text: plan.rules[e.rule]!.ref.text, passed: e.passed, measured: formatMeasured(e.measured) })),
    diagnostics: plan.diagnostics.map((d) => diagnosticEntry(d, sources)),
    notes,
  };
}

function groupIdentical(dicts: StateDictPlan[]): StateDictPlan[][] {
  const groups = new Map<string, StateDictPlan[]>();
  for (const dict of dicts) {
    const id = JSON.stringify(dict.rows.map((r) => [r.key, r.status, r.sourceShape, r.targetShape, r.rule, r.allowed]));
    groups.set(id, [...(groups.get(id) ?? []), dict]);
  }
  return [...groups.values()];
}

function buildSection(dicts: StateDictPlan[], where: (rule: number | null) => string | null): ReportSection {
  const rows = dicts[0]!.rows;
  const targetRows = rows.filter((r) => r.targetShape !== null);
  const targetParams = targetRows.reduce((n, r) => n + r.numel, 0);
  const summary = STATUS_ORDER.map((status) => {
    const hits = rows.filter((r) => r.status === status);
    const params = hits.reduce((n, r) => n + r.numel, 0);
    const targetSide = hits.every((r) => r.targetShape !== null);
    return { status, tensors: hits.length, params, percentOfTarget: targetSide && targetParams > 0 ? round1((100 * params) / targetParams) : null };
  }).filter((c) => c.tensors > 0);
  return { stateDicts: dicts.map((d) => d.name), checked: dicts[0]!.checked, targetTensors: targetRows.length, targetParams, summary, modules: buildModules(rows, where) };
}

function buildModules(rows: PlanRow[], where: (rule: number | null) => string | null): ReportModule[] {
  const shapes = new Map(rows.map((r) => [r.key, r.targetShape ?? r.sourceShape]));
  const modules = new Map<string, PlanRow[]>();
  for (const row of rows) {
    const name = moduleOf(row.key);
    modules.set(name, [...(modules.get(name) ?? []), row]);
  }
  return [...modules].map(([module, list]) => {
    const counts: Partial<Record<KeyStatus, number>> = {};
    for (const r of list) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const items = list.map((r) => {
      const value: ReportRow = {
        key: r.key,
        source: r.sourceKey !== null && r.sourceKey !== r.key ? r.sourceKey : null,
        count: 1,
        status: r.status,
        allowed: r.allowed,
        sourceShape: r.sourceShape && formatShape(r.sourceShape),
        targetShape: r.targetShape && formatShape(r.targetShape),
        rule: where(r.rule),
        note: noteOf(r, where, shapes),
      };
      const signature = JSON.stringify([value.status, value.allowed, value.sourceShape, value.targetShape, value.rule, r.status === 'renamed' ? '' : value.note]);
      return { key: r.key, signature, value };
    });
    const collapsed = collapseKeys(items).map((c) => ({ ...c.value, key: relativeKey(c.key, module), count: c.count, source: c.count > 1 ? null : c.value.source }));
    return { module, counts, rows: collapsed };
  });
}

function relativeKey(key: string, module: string): string {
  return key.startsWith(`${module}.`) ? `…${key.slice(module.length)}` : key;
}

/** The module a key belongs to for grouping: the segments before its first index, or its parent. */
export function moduleOf(key: string): string {
  const segments = key.split('.');
  const firstIndex = segments.findIndex((s) => /^\d+$/.test(s));
  const cut = firstIndex > 0 ? firstIndex : Math.max(1, segments.length - 1);
  return segments.slice(0, cut).join('.');
}

function noteOf(row: PlanRow, where: (rule: number | null) => string | null, shapes: Map<string, number[] | null>): string {
  const sibling = row.key.endsWith('.bias') ? shapes.get(`${row.key.slice(0, -'bias'.length)}weight`) : null;
  const context = { key: row.key, shape: row.targetShape ?? [], ...(sibling ? { siblingWeightShape: sibling } : {}) };
  const init = row.init && (row.init.kind === 'default' ? `default: ${describeDefaultInit(context)}` : formatInit(row.init));
  switch (row.status) {
    case 'reinit':
      return `init ${init}`;
    case 'filled':
      return row.init?.kind === 'target' ? 'from target checkpoint' : `init ${init}`;
    case 'assembled':
      return [...row.blocks.map((b) => `${formatBox(b.targetBox, row.targetShape!)} <- ${b.sourceKey === row.key ? '' : `${b.sourceKey}`}${formatBox(b.sourceBox, row.sourceShape ?? [])} (${where(b.rule)})`), `rest: ${init}`].join('; ');
    case 'dtype-mismatch':
      return `dtype ${row.cast ?? row.sourceDType} vs ${row.targetDType}`;
    default:
      return row.cast ? `cast to ${row.cast}` : '';
  }
}

function formatMatches(matches: Map<string, number>): string {
  const values = [...new Set(matches.values())];
  if (values.length <= 1) return String(values[0] ?? 0);
  return [...matches].map(([d, n]) => `${d}: ${n}`).join(', ');
}

function formatMeasured(measured: Map<string, string>): string {
  const values = [...new Set(measured.values())];
  if (values.length <= 1) return values[0] ?? '';
  return [...measured].map(([d, m]) => `${d}: ${m}`).join(', ');
}

function diagnosticEntry(d: Diagnostic, sources: Map<string, string>): ReportModel['diagnostics'][number] {
  const span = d.spans[0];
  const text = span && sources.get(span.file);
  const at = span && text !== undefined ? (({ line, column }) => `${span.file}:${line}:${column}`)(lineColumn(text, span.start)) : null;
  return { code: d.code, severity: d.severity, message: d.message, at, hint: d.hint ?? null };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
