/**
 * The entry point of `grammar/`: source text in, AST and syntax diagnostics out. Chevrotain stays behind this
 * function.
 */
import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import { MAX_DIAGNOSTICS, type Diagnostic, type Span } from '../src/diagnostics.ts';
import type { Comment, ParseResult, Statement } from './ast.ts';
import { buildStatement, type BuildContext } from './build-ast.ts';
import { tokenizeRemap } from './lexer.ts';
import { remapParser } from './parser.ts';

/**
 * Returns the AST of `source` and its syntax diagnostics (capped at MAX_DIAGNOSTICS). Never throws on bad input:
 * a line with a syntax error is left out of the AST and reported; the other lines still parse.
 *
 * @param file the name to put in spans and diagnostics (a path as the user gave it).
 */
export function parseRemap(source: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const ctx: BuildContext = { file, diagnostics };
  const statements: Statement[] = [];
  const comments: Comment[] = [];
  // Statements never span lines, so each line is lexed and parsed on its own: an error costs one line, and the
  // tokens of a line are garbage as soon as its statement is built (lexing the whole file first would keep them all).
  for (const line of sourceLines(source)) {
    const lexed = tokenizeRemap(line.text, line.start);
    for (const error of lexed.errors) diagnostics.push(lexingDiagnostic(error, source, file));
    for (const t of lexed.groups['comments'] ?? []) comments.push(comment(t, lexed.tokens, file));
    // A line with a lexing error is not parsed: its tokens are incomplete.
    if (lexed.tokens.length === 0 || lexed.errors.length) continue;
    remapParser.input = lexed.tokens;
    const cst = remapParser.statement();
    const [error] = remapParser.errors;
    if (error) diagnostics.push(syntaxDiagnostic(error, lexed.tokens, file));
    else statements.push(buildStatement(cst, ctx));
  }
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

/** Yields each line of `source` without its break (`\n`, `\r\n` or `\r`), with the offset where it starts. */
function* sourceLines(source: string): Generator<{ text: string; start: number }> {
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  for (let match = breaks.exec(source); match; match = breaks.exec(source)) {
    yield { text: source.slice(start, match.index), start };
    start = match.index + match[0].length;
  }
  if (start < source.length) yield { text: source.slice(start), start };
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

/** Returns the comment; it trails code when a token of its line comes before it. */
function comment(t: IToken, lineTokens: IToken[], file: string): Comment {
  return {
    kind: 'Comment',
    span: { file, start: t.startOffset, end: t.endOffset! + 1 },
    text: t.image,
    trailing: lineTokens.length > 0 && lineTokens[0]!.startOffset < t.startOffset,
  };
}
