/**
 * Renders a plan report as Markdown for a pull-request comment: verdicts and summary up front,
 * per-module tables folded in `<details>`, kept under the size a comment allows.
 */
import type { KeyStatus } from '../plan/plan-types.ts';
import type { ReportModel, ReportModule, ReportSection } from './report-model.ts';

/** GitHub rejects comments over 65,536 characters; stay below with room for a quoting wrapper. */
export const MAX_MARKDOWN_CHARS = 60_000;

/** Problems listed in a comment; a plan with hundreds (no renames at all) says the first ones and the count. */
const MAX_LISTED_PROBLEMS = 20;

const STATUS_ICON: Readonly<Record<KeyStatus, string>> = {
  loaded: '✅',
  renamed: '✅',
  assembled: '🧩',
  reinit: '🌱',
  filled: '➕',
  missing: '❌',
  dropped: '🗑️',
  unexpected: '❌',
  'size-mismatch': '❌',
  'dtype-mismatch': '❌',
};

const SEVERITY_ICON: Readonly<Record<string, string>> = { error: '❌', warning: '⚠️', info: 'ℹ️' };

/** Returns the Markdown report, at most `maxChars` long (module tables are folded to counts first). */
export function renderMarkdown(model: ReportModel, maxChars = MAX_MARKDOWN_CHARS): string {
  const omitted = new Set<ReportModule>();
  // Largest tables go first; modules where everything simply loads are the least interesting.
  const candidates = model.sections.flatMap((s) => s.modules).sort((a, b) => interest(a) - interest(b) || b.rows.length - a.rows.length);
  let text = render(model, omitted);
  for (const module of candidates) {
    if (text.length <= maxChars) break;
    omitted.add(module);
    text = render(model, omitted);
  }
  if (text.length > maxChars) {
    const note = '\n\n_…report truncated to fit a comment; run with `--format json` for all of it._\n';
    text = text.slice(0, maxChars - note.length) + note;
  }
  return text;
}

function interest(module: ReportModule): number {
  return module.rows.some((r) => r.status !== 'loaded' && r.status !== 'renamed') ? 1 : 0;
}

function render(model: ReportModel, omitted: Set<ReportModule>): string {
  const out: string[] = [];
  const verdict = model.verdict[model.mode];
  out.push(`### surgery plan: ${verdict.ok ? '✅ ready' : `❌ ${verdict.errors} error${verdict.errors === 1 ? '' : 's'}`} (mode ${model.mode})`, '');
  out.push(`**Source** \`${model.source.path}\`${model.target ? ` → **target** \`${model.target.path}\`` : ' (no target: rules only, no load check)'}`);
  for (const r of model.remaps) out.push(`**Remap** \`${r.file}\` (sha256 \`${r.sha256.slice(0, 12)}\`)`);
  out.push('', '| load check | verdict |', '|---|---|');
  out.push(`| \`load_state_dict(strict=True)\` | ${verdictText(model.verdict.strict)} |`);
  out.push(`| \`load_state_dict(strict=False)\` | ${verdictText(model.verdict.loose)} |`);
  out.push('', '> `strict=False` forgives only missing and unexpected keys. A size mismatch fails in either mode.');
  for (const section of model.sections) out.push('', ...renderSection(section, omitted));
  if (model.rules.length) out.push('', ...renderRules(model));
  if (model.expectations.length) out.push('', ...renderExpectations(model));
  if (model.diagnostics.length) out.push('', ...renderDiagnostics(model));
  if (model.notes.length) out.push('', ...model.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

function verdictText(v: { ok: boolean; errors: number }): string {
  return v.ok ? '✅ loads' : `❌ fails (${v.errors} error${v.errors === 1 ? '' : 's'})`;
}

function renderSection(section: ReportSection, omitted: Set<ReportModule>): string[] {
  const title = section.stateDicts.map(stateDictTitle).join(', ');
  const out = [`#### ${title}${section.checked ? ` — target: ${section.targetTensors} tensors, ${section.targetParams.toLocaleString('en-US')} params` : ' — not checked against a target'}`, ''];
  out.push('| status | tensors | params | % of target params |', '|---|---:|---:|---:|');
  for (const c of section.summary) out.push(`| ${STATUS_ICON[c.status]} ${c.status} | ${c.tensors} | ${c.params.toLocaleString('en-US')} | ${c.percentOfTarget === null ? '—' : `${c.percentOfTarget}%`} |`);
  for (const module of section.modules) out.push('', ...renderModule(module, omitted.has(module)));
  return out;
}

function stateDictTitle(name: string): string {
  if (name === '*') return 'every state dict (unnamed manifest)';
  return `\`${name || '<root>'}\``;
}

function renderModule(module: ReportModule, omit: boolean): string[] {
  const counts = Object.entries(module.counts).map(([s, n]) => `${n} ${s}`).join(', ');
  const open = module.rows.some((r) => STATUS_ICON[r.status] === '❌' && !r.allowed) ? ' open' : '';
  const out = [`<details${open}><summary><code>${escapeHtml(module.module)}</code> — ${counts}</summary>`, ''];
  if (omit) {
    out.push(`_${module.rows.length} rows omitted to fit a comment; see \`--format json\`._`);
  } else {
    out.push('| key | status | checkpoint | model | rule | note |', '|---|---|---|---|---|---|');
    for (const r of module.rows) {
      const status = `${STATUS_ICON[r.status]} ${r.status}${r.allowed ? ' (allowed)' : ''}`;
      const key = `${markdownCode(r.key)}${r.count > 1 ? ` ×${r.count}` : ''}`;
      out.push(`| ${key} | ${status} | ${r.sourceShape ?? '—'} | ${r.targetShape ?? '—'} | ${r.rule ?? ''} | ${markdownCell(r.note)} |`);
    }
  }
  out.push('', '</details>');
  return out;
}

function renderRules(model: ReportModel): string[] {
  const out = ['#### Rules', '', '| rule | statement | matches | notes |', '|---|---|---:|---|'];
  for (const r of model.rules) {
    const remarks = [...r.warnings.map((w) => `⚠️ ${w}`), ...r.notes.map((n) => `ℹ️ ${n}`)];
    out.push(`| ${r.rule} | ${markdownCode(r.text)} | ${markdownCell(r.matches)} | ${markdownCell(remarks.join('; '))} |`);
  }
  return out;
}

function renderExpectations(model: ReportModel): string[] {
  const out = ['#### Expectations', '', '| | expectation | measured | rule |', '|---|---|---|---|'];
  for (const e of model.expectations) out.push(`| ${e.passed ? '✅' : '❌'} | ${markdownCode(e.text)} | ${markdownCell(e.measured)} | ${e.rule} |`);
  return out;
}

function renderDiagnostics(model: ReportModel): string[] {
  const out = ['#### Problems', ''];
  const shown = model.diagnostics.slice(0, MAX_LISTED_PROBLEMS);
  for (const d of shown) {
    out.push(`- ${SEVERITY_ICON[d.severity] ?? '⚠️'} \`${d.code}\`${d.at ? ` at \`${d.at}\`` : ''}: ${escapeHtml(d.message)}${d.hint ? ` _${escapeHtml(d.hint)}_` : ''}`);
  }
  const more = model.diagnostics.length - shown.length;
  if (more > 0) out.push(`- …and ${more} more; see \`--format json\`.`);
  return out;
}

/** Returns text for a Markdown table cell outside code spans: HTML-escaped, pipes escaped. */
export function markdownCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|');
}

/** Returns a code span for a Markdown table cell: entities would show literally inside backticks, so only pipes are escaped. */
export function markdownCode(text: string): string {
  return `\`${text.replace(/\|/g, '\\|').replace(/`/g, "'")}\``;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
