/**
 * Turns the statements of one or more remap files into the numbered rule list of a plan: each with
 * its file:line:col and its text, so every report row can say which rule decided it.
 */
import type { RemapFile, Statement } from '../../grammar/index.ts';
import { LineIndex } from '../report/line-index.ts';
import type { RuleRef, RuleUsage } from './plan-types.ts';

/** A parsed remap file with its text (needed for line:col and for quoting rules). */
export interface RemapSource {
  file: string;
  text: string;
  ast: RemapFile;
}

/** A statement together with its file and its index in the plan's rule list. */
export interface NumberedStatement {
  index: number;
  file: string;
  statement: Statement;
}

/** Returns every statement of `remaps` in application order, and an empty usage record for each. */
export function numberRules(remaps: RemapSource[]): { statements: NumberedStatement[]; rules: RuleUsage[] } {
  const statements: NumberedStatement[] = [];
  const rules: RuleUsage[] = [];
  for (const remap of remaps) {
    const lines = new LineIndex(remap.text);
    for (const statement of remap.ast.statements) {
      const index = rules.length;
      const { line, column } = lines.locate(statement.span.start);
      const text = remap.text.slice(statement.span.start, statement.span.end).replace(/\s+/g, ' ').trim();
      const ref: RuleRef = { index, span: statement.span, line, column, kind: statement.kind, text };
      rules.push({ ref, file: remap.file, statement, matches: new Map(), warnings: [], notes: [] });
      statements.push({ index, file: remap.file, statement });
    }
  }
  return { statements, rules };
}
