/**
 * The draft a `suggest` run builds, as plain data: sections of rules, each rule a `.remap` statement with the reason
 * it was chosen and how sure the suggester is. `draftFile` turns it into a `RemapFile` AST (comments placed where
 * `printRemap` keeps them) and `printDraft` into text.
 */
import type * as A from '../../grammar/index.ts';
import { printRemap } from '../../grammar/index.ts';

/** How sure a rule is: `certain` (the structure leaves one answer), `likely` (best of several), `guess` (a tie). */
export type Confidence = 'certain' | 'likely' | 'guess';

/** One statement and why it is there. `why` is null only for statements that need no reason (`version`). */
export interface DraftRule {
  statement: A.Statement;
  why: string | null;
  confidence: Confidence;
}

/** A run of rules printed together: comment lines first, then the rules; sections are separated by a blank line. */
export interface DraftSection {
  heading: string[];
  rules: DraftRule[];
}

/** Comment lines are wrapped to stay readable in a review diff. */
const COMMENT_WIDTH = 118;

/** A span no real source has; `draftFile` gives every node its own offsets so the printer can order them. */
const NO_SPAN: A.Span = { file: '', start: 0, end: 0 };

/** Returns the AST of the draft and a stand-in source whose blank lines mark the section breaks for `printRemap`. */
function draftFile(sections: DraftSection[], file: string): { ast: A.RemapFile; source: string } {
  const statements: A.Statement[] = [];
  const comments: A.Comment[] = [];
  let source = '';
  const place = (): A.Span => {
    const span = { file, start: source.length, end: source.length + 1 };
    source += 'x\n';
    return span;
  };
  const comment = (text: string): void => {
    for (const line of wrapComment(text)) comments.push({ kind: 'Comment', span: place(), text: line, trailing: false });
  };
  sections.forEach((section, i) => {
    if (i > 0) source += '\n';
    for (const line of section.heading) comment(line);
    for (const rule of section.rules) {
      if (rule.why !== null) comment(`${rule.confidence}: ${rule.why}.`);
      statements.push({ ...rule.statement, span: place() } as A.Statement);
    }
  });
  return { ast: { kind: 'RemapFile', file, span: { file, start: 0, end: source.length }, statements, comments }, source };
}

/** Returns the canonical `.remap` text of the draft. */
export function printDraft(sections: DraftSection[], file: string): string {
  const { ast, source } = draftFile(sections, file);
  return printRemap(ast, { source });
}

function wrapComment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length > 1 && line.length + 1 + word.length > COMMENT_WIDTH) {
      lines.push(line);
      line = '#  ';
    }
    line += line.endsWith(' ') ? word : ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** Returns the pattern for dotted `text`: `**` and `*` segments are wildcards, every other segment is literal. */
export function pattern(segments: readonly string[]): A.KeyPattern {
  return {
    kind: 'KeyPattern',
    span: NO_SPAN,
    segments: segments.map((value): A.PatternSegment => {
      const part: A.PatternPart = value === '**' || value === '*' ? { kind: 'Wildcard', span: NO_SPAN, many: value === '**', name: null } : { kind: 'Literal', span: NO_SPAN, value, quoted: false };
      return { kind: 'PatternSegment', span: NO_SPAN, parts: [part] };
    }),
  };
}

/** Returns `version N`. */
export function versionStatement(version: number): A.VersionStatement {
  return { kind: 'Version', span: NO_SPAN, version };
}

/** Returns `in a, b`. */
export function inStatement(scopes: readonly string[]): A.InStatement {
  return { kind: 'In', span: NO_SPAN, scopes: scopes.map((s) => pattern(s.split('.'))) };
}

/** Returns `FROM -> TO`; a one-segment FROM renames that segment wherever it occurs. */
export function renameStatement(from: readonly string[], to: readonly string[]): A.RenameStatement {
  const scope = from.length === 1 && from[0] !== '**' ? 'segment' : 'key';
  return { kind: 'Rename', span: NO_SPAN, optional: false, scope, from: pattern(from), to: pattern(to) };
}

/** Returns `drop PATTERN`. */
export function dropStatement(segments: readonly string[]): A.DropStatement {
  return { kind: 'Drop', span: NO_SPAN, optional: false, pattern: pattern(segments) };
}

/** Returns `reinit PATTERN [with INIT]`. */
export function reinitStatement(segments: readonly string[], init: string | null = null): A.ReinitStatement {
  const spec: A.InitSpec | null = init === null ? null : { kind: 'InitSpec', span: NO_SPAN, name: { kind: 'Name', span: NO_SPAN, value: init }, args: [] };
  return { kind: 'Reinit', span: NO_SPAN, optional: false, pattern: pattern(segments), init: spec };
}

/** Returns `cast PATTERN to DTYPE`. */
export function castStatement(segments: readonly string[], dtype: string): A.CastStatement {
  return { kind: 'Cast', span: NO_SPAN, optional: false, pattern: pattern(segments), dtype: { kind: 'Name', span: NO_SPAN, value: dtype } };
}

/** Returns `KEY[:, a:b] <- [:, c:d]`: columns of the tensor the renames map to KEY. */
export function assignColumnsStatement(key: readonly string[], target: [number, number], source: [number, number]): A.AssignStatement {
  const slice = ([start, stop]: [number, number]): A.Slice => ({
    kind: 'Slice',
    span: NO_SPAN,
    dims: [
      { kind: 'Range', span: NO_SPAN, start: null, stop: null },
      { kind: 'Range', span: NO_SPAN, start, stop },
    ],
  });
  return { kind: 'Assign', span: NO_SPAN, optional: false, target: pattern(key), targetSlice: slice(target), source: null, sourceSlice: slice(source) };
}

/** Returns `expect METRIC CMP VALUE[%] [params] [in SCOPE]`. */
export function expectCountStatement(metric: string, comparator: A.Comparator, value: number, options: { percent?: boolean; params?: boolean; scope?: readonly string[] } = {}): A.ExpectCountStatement {
  return {
    kind: 'ExpectCount',
    span: NO_SPAN,
    metric: { kind: 'Name', span: NO_SPAN, value: metric },
    comparator,
    comparatorSpan: NO_SPAN,
    value,
    percent: options.percent ?? false,
    measure: options.params ? 'params' : 'tensors',
    scope: options.scope ? pattern(options.scope) : null,
  };
}
