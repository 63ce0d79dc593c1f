/**
 * The entry point of `grammar/`: source text in, AST and syntax diagnostics out. Chevrotain stays behind this
 * function.
 */
import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import { MAX_DIAGNOSTICS, type Diagnostic, type Span } from '../src/diagnostics.ts';
import type { Comment, ParseResult, Statement } from './ast.ts';
import { buildStatement, type BuildContext } from './build-ast.ts';
import { Newline, tokenizeRemap } from './lexer.ts';
import { remapParser } from './parser.ts';

/**
 * Returns the AST of `source` and its syntax diagnostics (capped at MAX_DIAGNOSTICS). Never throws on bad input:
 * a line with a syntax error is left out of the AST and reported; the other lines still parse.
 *
 * @param file the name to put in spans and diagnostics (a path as the user gave it).
 */
export function parseRemap(source: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = tokenizeRemap(source);
  for (const error of lexed.errors) diagnostics.push(lexingDiagnostic(error, source, file));
  // Lexing errors are in offset order; a line holding one is not parsed (its tokens are incomplete).
  const errorOffsets = lexed.errors.map((e) => e.offset);
  let nextError = 0;

  const ctx: BuildContext = { file, diagnostics };
  const statements: Statement[] = [];
  for (const { tokens: line, start, end } of splitLines(lexed.tokens, source.length)) {
    while (nextError < errorOffsets.length && errorOffsets[nextError]! < start) nextError++;
    if (nextError < errorOffsets.length && errorOffsets[nextError]! < end) continue;
    remapParser.input = line;
    const cst = remapParser.statement();
    const [error] = remapParser.errors;
    if (error) diagnostics.push(syntaxDiagnostic(error, line, file));
    else statements.push(buildStatement(cst, ctx));
  }

  const comments = (lexed.groups['comments'] ?? []).map((t) => comment(t, lexed.tokens, file));
  diagnostics.sort((a, b) => a.spans[0]!.start - b.spans[0]!.start);
  return {
    file: { kind: 'RemapFile', file, span: { file, start: 0, end: source.length }, statements, comments },
    diagnostics: capDiagnostics(diagnostics),
  };
}

/**
 * Returns at most MAX_DIAGNOSTICS diagnostics; when some were cut, the last one says so (graphql-js does the same).
 */
export function capDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return diagnostics;
  const kept = diagnostics.slice(0, MAX_DIAGNOSTICS - 1);
  const last = diagnostics[MAX_DIAGNOSTICS - 1]!;
  kept.push({
    code: 'remap/too-many-diagnostics',
    severity: 'error',
    message: `too many problems (${diagnostics.length}); showing the first ${MAX_DIAGNOSTICS - 1}`,
    spans: [last.spans[0]!],
  });
  return kept;
}

/**
 * Groups the tokens by line (statements never span lines), leaving out the line breaks and empty lines;
 * `[start, end)` is the line's extent in the source, without its break.
 */
function splitLines(tokens: IToken[], sourceLength: number): SourceLine[] {
  const lines: SourceLine[] = [];
  let current: IToken[] = [];
  let start = 0;
  for (const t of tokens) {
    if (t.tokenType === Newline) {
      if (current.length) lines.push({ tokens: current, start, end: t.startOffset });
      current = [];
      start = t.endOffset! + 1;
    } else current.push(t);
  }
  if (current.length) lines.push({ tokens: current, start, end: sourceLength });
  return lines;
}

interface SourceLine {
  tokens: IToken[];
  start: number;
  end: number;
}

function syntaxDiagnostic(error: IRecognitionException, line: IToken[], file: string): Diagnostic {
  return {
    code: 'remap/syntax',
    severity: 'error',
    message: error.message,
    spans: [tokenOrEndSpan(error.token, line, file)],
  };
}

/**
 * Returns the span of the offending token; chevrotain's end-of-input token (and any token recovery would insert)
 * has NaN offsets, so those point just past the line's last token instead.
 */
function tokenOrEndSpan(token: IToken, line: IToken[], file: string): Span {
  if (Number.isFinite(token.startOffset) && token.startOffset >= 0) {
    return { file, start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
  }
  const end = line[line.length - 1]!.endOffset! + 1;
  return { file, start: end, end };
}

function lexingDiagnostic(error: ILexingError, source: string, file: string): Diagnostic {
  const span: Span = { file, start: error.offset, end: error.offset + error.length };
  const char = source[error.offset]!;
  if (char === '"') {
    return diagnostic('remap/unterminated-quote', 'unterminated quoted key: close it with \'"\' on the same line', span);
  }
  if (char === '{') {
    return diagnostic('remap/unterminated-capture', "unterminated capture: write '{name}' without spaces", span);
  }
  const shown = JSON.stringify(source.slice(error.offset, error.offset + error.length)).slice(1, -1);
  return diagnostic(
    'remap/unexpected-character',
    `unexpected character '${shown}': quote the key if it contains it ("...")`,
    span,
  );
}

function diagnostic(code: string, message: string, span: Span): Diagnostic {
  return { code, severity: 'error', message, spans: [span] };
}

function comment(t: IToken, tokens: IToken[], file: string): Comment {
  return {
    kind: 'Comment',
    span: { file, start: t.startOffset, end: t.endOffset! + 1 },
    text: t.image,
    trailing: precededOnLine(t, tokens),
  };
}

/** True when a non-newline token sits before `t` on its line (binary search: tokens are sorted by offset). */
function precededOnLine(t: IToken, tokens: IToken[]): boolean {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < t.startOffset) lo = mid + 1;
    else hi = mid;
  }
  const before = tokens[lo - 1];
  return before !== undefined && before.tokenType !== Newline;
}
