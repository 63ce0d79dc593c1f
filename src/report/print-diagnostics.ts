/**
 * Renders diagnostics for people (`file:line:col: error: message [code]` plus a code frame with a caret, as
 * graphql-js `printLocation` does) and for machines (the same data with 1-based line:column added).
 *
 * Span offsets index the source string (UTF-16 code units; equal to byte offsets for ASCII files). A span whose
 * offsets are not finite numbers (chevrotain's recovered tokens carry NaN) is printed as the file name alone.
 */
import type { Diagnostic, Span } from '../diagnostics.ts';
import { LineIndex } from './line-index.ts';
import { painter } from './paint.ts';

/** Looks up a source text by file name; undefined when it is not known (then no code frame is printed). */
export type SourceLookup = (file: string) => string | undefined;

/** A span with its 1-based start and end positions, as `--format json` reports it. */
export interface LocatedSpan extends Span {
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
}

/** A diagnostic whose spans carry line:column, for JSON output. */
export interface LocatedDiagnostic extends Omit<Diagnostic, 'spans'> {
  spans: LocatedSpan[];
}

/** Options of `printDiagnostics`. */
export interface PrintOptions {
  /** ANSI colours for terminals. */
  colour?: boolean;
  /** Lines of context shown before the primary line (default 1). */
  contextLines?: number;
}

/** Returns all diagnostics rendered as text, separated by blank lines (empty string when there are none). */
export function printDiagnostics(diagnostics: readonly Diagnostic[], sources: SourceLookup, options: PrintOptions = {}): string {
  const index = new LineIndexCache(sources);
  return diagnostics.map((d) => printOne(d, index, options)).join('\n\n');
}

/** Returns the diagnostics with line:column added to every span whose source is known and whose offsets are valid. */
export function locateDiagnostics(diagnostics: readonly Diagnostic[], sources: SourceLookup): LocatedDiagnostic[] {
  const index = new LineIndexCache(sources);
  return diagnostics.map((d) => ({ ...d, spans: d.spans.map((s) => locateSpan(s, index)) }));
}

function printOne(d: Diagnostic, index: LineIndexCache, options: PrintOptions): string {
  const paint = diagnosticPainter(options.colour ?? false);
  const [primary, ...related] = d.spans;
  const head = `${where(primary, index)}${paint.severity(d.severity)}: ${paint.bold(d.message)} ${paint.dim(`[${d.code}]`)}`;
  const parts = [head];
  if (primary) parts.push(...frame(primary, index, options, paint));
  for (const span of related) {
    parts.push(`${where(span, index)}${paint.dim('note: related location')}`);
    parts.push(...frame(span, index, { ...options, contextLines: 0 }, paint));
  }
  if (d.hint) parts.push(`  = hint: ${d.hint}`);
  return parts.join('\n');
}

function where(span: Span | undefined, index: LineIndexCache): string {
  if (!span) return '';
  const at = validOffsets(span) ? index.get(span.file)?.locate(span.start) : undefined;
  return at ? `${span.file}:${at.line}:${at.column}: ` : `${span.file}: `;
}

/** Returns the code frame lines: some context, the line with the span, and a caret line under the span. */
function frame(span: Span, index: LineIndexCache, options: PrintOptions, paint: Painter): string[] {
  const lines = index.get(span.file);
  if (!lines || !validOffsets(span)) return [];
  const start = lines.locate(span.start);
  const end = lines.locate(Math.max(span.start, span.end));
  const first = Math.max(1, start.line - (options.contextLines ?? 1));
  const gutter = String(start.line).length;
  const out: string[] = [];
  for (let n = first; n <= start.line; n++) {
    const marker = n === start.line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(gutter)} | ${lines.text(n)}`);
  }
  const text = lines.text(start.line);
  // A multi-line span is underlined to the end of its first line; an empty span still gets one caret.
  const stopColumn = end.line === start.line ? end.column : text.length + 1;
  const width = Math.max(1, stopColumn - start.column);
  // Copy tabs from the source line so the caret lines up whatever the terminal's tab width.
  const pad = text.slice(0, start.column - 1).replace(/[^\t]/g, ' ');
  out.push(`  ${' '.repeat(gutter)} | ${pad}${paint.caret('^'.repeat(width))}`);
  return out;
}

function locateSpan(span: Span, index: LineIndexCache): LocatedSpan {
  const lines = index.get(span.file);
  if (!lines || !validOffsets(span)) return { ...span };
  const start = lines.locate(span.start);
  const end = lines.locate(span.end);
  return { ...span, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

function validOffsets(span: Span): boolean {
  return Number.isFinite(span.start) && Number.isFinite(span.end) && span.start >= 0;
}

class LineIndexCache {
  private readonly cache = new Map<string, LineIndex | undefined>();

  constructor(private readonly sources: SourceLookup) {}

  get(file: string): LineIndex | undefined {
    if (!this.cache.has(file)) {
      const source = this.sources(file);
      this.cache.set(file, source === undefined ? undefined : new LineIndex(source));
    }
    return this.cache.get(file);
  }
}

interface Painter {
  bold(s: string): string;
  dim(s: string): string;
  caret(s: string): string;
  severity(s: string): string;
}

function diagnosticPainter(colour: boolean): Painter {
  const paint = painter(colour);
  return {
    bold: (s) => paint('bold', s),
    dim: (s) => paint('dim', s),
    caret: (s) => paint('red', s),
    severity: (s) => (s === 'error' ? paint('red', s) : s === 'warning' ? paint('yellow', s) : s),
  };
}
