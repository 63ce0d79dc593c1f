/** Test helpers for the grammar: ASTs without spans, and diagnostics as `line:col code message` strings. */
import { parseRemap } from '../../grammar/parse-remap.ts';
import type { Diagnostic } from '../../src/diagnostics.ts';
import { lineColumn } from '../../src/report/line-index.ts';

/** Returns a deep copy of `value` without `span`/`comparatorSpan` fields, for comparing ASTs by content. */
export function withoutSpans<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === 'span' || k === 'comparatorSpan' ? undefined : v)));
}

/** Returns each diagnostic as `line:col code: message`, the form the tables below are written in. */
export function describe(diagnostics: Diagnostic[], source: string): string[] {
  return diagnostics.map((d) => {
    const { line, column } = lineColumn(source, d.spans[0]!.start);
    return `${line}:${column} ${d.code}: ${d.message}`;
  });
}

/** Returns the statements of a source that must parse cleanly (throws with the diagnostics otherwise). */
export function parseClean(source: string) {
  const result = parseRemap(source, 'test.remap');
  if (result.diagnostics.length) throw new Error(`unexpected diagnostics: ${describe(result.diagnostics, source).join('; ')}`);
  return result.file;
}
