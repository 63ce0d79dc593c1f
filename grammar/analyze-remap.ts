/** Parse plus semantic checks: what `surgery check` and the planner run on a `.remap` file. */
import type { ParseResult } from './ast.ts';
import { checkRemap } from './checks/check-remap.ts';
import { capDiagnostics, parseRemap } from './parse-remap.ts';

/**
 * Returns the AST and all diagnostics of `source`: syntax first; the semantic checks run on what parsed (lines with
 * syntax errors are not in the AST, so they cannot cause follow-on semantic errors).
 */
export function analyzeRemap(source: string, file: string): ParseResult {
  const parsed = parseRemap(source, file);
  const semantic = checkRemap(parsed.file);
  const diagnostics = [...parsed.diagnostics, ...semantic].sort((a, b) => a.spans[0]!.start - b.spans[0]!.start);
  return { file: parsed.file, diagnostics: capDiagnostics(diagnostics) };
}
