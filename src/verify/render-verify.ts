/** Renders a verify report as Markdown (for a pull request), JSON, or text for a terminal (coloured unless off). */
import type { ReportFormat } from '../report/render-report.ts';
import { painter, type Colour } from '../report/paint.ts';
import { markdownCell, markdownCode } from '../report/render-markdown.ts';
import type { Verdict, VerifyReport, VerifyRow } from './verify-report.ts';

const VERDICT_COLOUR: Readonly<Record<Verdict, Colour>> = { identical: 'green', differs: 'red', changed: 'yellow', 'not run': 'dim' };
const VERDICT_ICON: Readonly<Record<Verdict, string>> = { identical: '✅', differs: '❌', changed: '🌱', 'not run': '➖' };

/** Returns the report as text in `format`; `colour` only affects `text`. */
export function renderVerify(report: VerifyReport, format: ReportFormat, colour = false): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return format === 'md' ? renderMarkdown(report) : renderText(report, colour);
}

function headline(report: VerifyReport): string {
  const { failures } = report;
  if (failures > 0) return `${failures} submodule${failures === 1 ? '' : 's'} claimed copied differ${failures === 1 ? 's' : ''}`;
  const copied = report.sections.flatMap((s) => s.rows.filter((r) => r.claim === 'copied'));
  const unchecked = copied.filter((r) => r.verdict === 'not run').length;
  if (copied.length === 0) return 'no submodule is claimed copied';
  return unchecked === 0 ? 'every submodule claimed copied is identical' : `no submodule claimed copied differs, but ${unchecked} could not be run`;
}

function pairingLine(report: VerifyReport): string {
  return report.pairing.by === 'provenance' ? 'from the provenance (per-key transfers recorded by `surgery apply`)' : `by weights and shapes: ${report.pairing.note}`;
}

function probeLine(report: VerifyReport): string {
  return report.probe.file ? `${report.probe.file} (${report.probe.rows} images per key)` : `synthesised from shape_metadata (${report.probe.rows} images per key)`;
}

function diffText(row: VerifyRow): string {
  return row.maxAbsDiff === null ? `not run: ${row.notRun}` : `max abs diff ${row.maxAbsDiff === 0 ? '0' : row.maxAbsDiff.toExponential(3)}`;
}

function claimText(row: VerifyRow): string {
  const notCopied = row.notCopied.reduce((n, k) => n + k.count, 0);
  return row.claim === 'partly reinitialised' ? `${row.claim} (${notCopied} of ${row.tensors} tensors)` : row.claim;
}

function fromText(row: VerifyRow): string {
  return row.source === null ? '(unpaired)' : (row.sourceName ?? row.source);
}

function renderText(report: VerifyReport, colour: boolean): string {
  const paint = painter(colour);
  const out = [paint('bold', `surgery verify: ${report.ok ? paint('green', headline(report)) : paint('red', headline(report))}`)];
  out.push(`  source   ${report.source}`, `  output   ${report.output}`, `  pairing  ${pairingLine(report)}`, `  probe    ${probeLine(report)}`, `  backend  ${report.backend}`);
  const width = Math.max(...report.sections.flatMap((s) => s.rows.map((r) => r.submodule.length)));
  for (const section of report.sections) {
    out.push('', paint('bold', section.stateDict));
    for (const row of section.rows) {
      out.push(`  ${paint(VERDICT_COLOUR[row.verdict], row.verdict.padEnd(9))} ${row.submodule.padEnd(width)}  <- ${fromText(row)}  ${claimText(row)}  ${diffText(row)}`);
      for (const k of row.notCopied) out.push(paint('dim', `      ${k.status.padEnd(10)} ${k.key}${k.count > 1 ? ` ×${k.count}` : ''}`));
    }
  }
  if (report.notes.length) out.push('', ...report.notes);
  return `${out.join('\n')}\n`;
}

function renderMarkdown(report: VerifyReport): string {
  const out = [`## surgery verify: ${report.ok ? '✅' : '❌'} ${headline(report)}`, ''];
  out.push(`| | |`, `|---|---|`, `| source | ${markdownCode(report.source)} |`, `| output | ${markdownCode(report.output)} |`, `| pairing | ${pairingLine(report)} |`, `| probe | ${probeLine(report)} |`, `| backend | ${report.backend} |`);
  for (const section of report.sections) {
    out.push('', `### \`${section.stateDict}\``, '', '| | submodule | from | claim | result |', '|---|---|---|---|---|');
    for (const row of section.rows) out.push(`| ${VERDICT_ICON[row.verdict]} | ${markdownCode(row.submodule)} | ${markdownCode(fromText(row))} | ${markdownCell(claimText(row))} | ${markdownCell(diffText(row))} |`);
    const changed = section.rows.filter((r) => r.notCopied.length > 0);
    for (const row of changed) {
      const count = row.notCopied.reduce((n, k) => n + k.count, 0);
      out.push('', `<details><summary><code>${row.submodule}</code>: ${count} tensor${count === 1 ? '' : 's'} not copied</summary>`, '');
      out.push(...row.notCopied.map((k) => `- ${k.status} \`${k.key}\`${k.count > 1 ? ` ×${k.count}` : ''}`), '', '</details>');
    }
  }
  if (report.notes.length) out.push('', ...report.notes.map((n) => `> ${n}`));
  return `${out.join('\n')}\n`;
}
