/** Renders a plan report for a terminal: aligned, coloured unless colour is off (NO_COLOR, not a TTY). */
import type { KeyStatus } from '../plan/plan-types.ts';
import { painter, type Colour } from './paint.ts';
import type { ReportModel, ReportRow } from './report-model.ts';

const STATUS_COLOUR: Readonly<Record<KeyStatus, Colour>> = {
  loaded: 'green',
  renamed: 'green',
  assembled: 'cyan',
  reinit: 'yellow',
  filled: 'yellow',
  missing: 'red',
  dropped: 'dim',
  unexpected: 'red',
  'size-mismatch': 'red',
  'dtype-mismatch': 'red',
};

const SEVERITY_COLOUR: Readonly<Record<string, Colour>> = { error: 'red', warning: 'yellow', info: 'cyan' };

/** Returns the terminal report; `colour` adds ANSI colours. */
export function renderText(model: ReportModel, colour: boolean): string {
  const paint = painter(colour);
  const out: string[] = [];
  const verdict = (v: { ok: boolean; errors: number }) => (v.ok ? paint('green', 'loads') : paint('red', `fails (${v.errors} error${v.errors === 1 ? '' : 's'})`));
  out.push(paint('bold', `surgery plan (mode ${model.mode})`));
  out.push(`  source  ${model.source.path}`, `  target  ${model.target?.path ?? '(none: rules only, no load check)'}`);
  for (const r of model.remaps) out.push(`  remap   ${r.file}  sha256 ${r.sha256.slice(0, 12)}`);
  out.push(`  strict=True   ${verdict(model.verdict.strict)}`, `  strict=False  ${verdict(model.verdict.loose)}`);
  out.push(paint('dim', '  (strict=False forgives only missing and unexpected keys; a size mismatch fails in either mode)'));
  for (const section of model.sections) {
    out.push('', paint('bold', `${section.stateDicts.map((d) => d || '<root>').join(', ')}${section.checked ? `: target ${section.targetTensors} tensors, ${section.targetParams} params` : ''}`));
    for (const c of section.summary) {
      out.push(`  ${paint(STATUS_COLOUR[c.status], c.status.padEnd(14))} ${String(c.tensors).padStart(5)} tensors ${String(c.params).padStart(12)} params${c.percentOfTarget === null ? '' : `  ${c.percentOfTarget}%`}`);
    }
    for (const module of section.modules) {
      out.push(`  ${paint('bold', module.module)}`);
      for (const row of module.rows) out.push(`    ${rowLine(row, paint)}`);
    }
  }
  if (model.rules.length) out.push('', paint('bold', 'rules'), ...model.rules.map((r) => `  ${r.rule.padEnd(24)} ${String(r.matches).padStart(6)}  ${r.text}${remarks(r.warnings, 'red', paint)}${remarks(r.notes, 'dim', paint)}`));
  if (model.expectations.length) out.push('', paint('bold', 'expectations'), ...model.expectations.map((e) => `  ${e.passed ? paint('green', 'pass') : paint('red', 'FAIL')}  ${e.text}  (${e.measured})  ${e.rule}`));
  if (model.diagnostics.length) out.push('', ...model.diagnostics.map((d) => `${paint(SEVERITY_COLOUR[d.severity] ?? 'yellow', d.severity)} ${d.code}${d.at ? ` ${d.at}` : ''}: ${d.message}${d.hint ? `\n  ${paint('dim', d.hint)}` : ''}`));
  if (model.notes.length) out.push('', ...model.notes);
  return `${out.join('\n')}\n`;
}

/** Returns `  (a; b)` in `colour` after a rule, or nothing when there are no remarks. */
function remarks(list: string[], colour: Colour, paint: (c: Colour, t: string) => string): string {
  return list.length ? paint(colour, `  (${list.join('; ')})`) : '';
}

function rowLine(row: ReportRow, paint: (c: Colour, t: string) => string): string {
  const status = paint(row.allowed ? 'yellow' : STATUS_COLOUR[row.status], `${row.status}${row.allowed ? ' (allowed)' : ''}`.padEnd(14));
  const shapes = row.sourceShape === row.targetShape ? row.targetShape ?? '' : `${row.sourceShape ?? '—'} -> ${row.targetShape ?? '—'}`;
  const count = row.count > 1 ? ` ×${row.count}` : '';
  return [status, `${row.key}${count}`, shapes, row.rule ?? '', row.note].filter(Boolean).join('  ');
}
