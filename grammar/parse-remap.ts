/**
 * The entry point of `grammar/`: source text in, AST and syntax diagnostics out. Chevrotain stays behind this
 * function.
 */
import type { ILexingError, ILexingResult, IRecognitionException, IToken } from 'chevrotain';
import { MAX_DIAGNOSTICS, type Diagnostic, type Span } from '../src/diagnostics.ts';
import type { Comment, ParseResult, Statement } from './ast.ts';
import { buildStatement, type BuildContext } from './build-ast.ts';
import { tokenEnd, tokenizeRemap } from './lexer.ts';
import { remapParser } from './parser.ts';

/**
 * Lines lexed per tokenize call. One call per line pays chevrotain's per-call setup 10,000 times in a big file; one
 * call for the whole file keeps every token alive until the end, so the GC copies them all into the old generation.
 */
const LINES_PER_CHUNK = 256;

/**
 * The longest line parsed. Real keys are a few hundred characters; a megabyte-long pattern would compile to a regular
 * expression past V8's size limit when the plan matches it, so such a line is refused here, where it has a position.
 */
export const MAX_LINE_LENGTH = 10_000;

/** What the UTF-8 decoder puts in place of bytes that are not UTF-8 (readRemapSource decodes leniently). */
const REPLACEMENT_CHARACTER = '\uFFFD';

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
  const ends = lineEnds(source);
  for (let first = 0, chunkStart = 0; first < ends.length; first += LINES_PER_CHUNK) {
    // A chunk starts at the previous one's last line break, which lexes as skipped whitespace.
    const chunkEnd = ends[Math.min(first + LINES_PER_CHUNK, ends.length) - 1]!;
    const lexed = tokenizeRemap(source.slice(chunkStart, chunkEnd), chunkStart);
    parseLines(lexed, chunkStart, ends.slice(first, first + LINES_PER_CHUNK), source, ctx, statements, comments);
    chunkStart = chunkEnd;
  }
  diagnostics.sort((a, b) => a.spans[0]!.start - b.spans[0]!.start);
  return {
    file: { kind: 'RemapFile', file, span: { file, start: 0, end: source.length }, statements, comments },
    diagnostics: capDiagnostics(diagnostics),
  };
}

/**
 * Parses each line of one lexed chunk: no token crosses a line break, so the chunk's tokens are cut at the line ends
 * and each line is parsed on its own (an error costs one line). Pushes statements, comments and diagnostics.
 */
function parseLines(
  lexed: ILexingResult,
  chunkStart: number,
  ends: number[],
  source: string,
  ctx: BuildContext,
  statements: Statement[],
  comments: Comment[],
): void {
  const { file, diagnostics } = ctx;
  const { tokens, errors } = lexed;
  const commentTokens = lexed.groups['comments'] ?? [];
  let t = 0;
  let c = 0;
  let e = 0;
  let lineStart = chunkStart;
  for (const end of ends) {
    const problem = lineProblem(source, lineStart, end, file);
    lineStart = end;
    const first = t;
    while (t < tokens.length && tokens[t]!.startOffset < end) t++;
    const line = tokens.slice(first, t);
    for (; c < commentTokens.length && commentTokens[c]!.startOffset < end; c++) {
      comments.push(comment(commentTokens[c]!, line, file));
    }
    const lineErrors = e;
    for (; e < errors.length && errors[e]!.offset < end; e++) {
      if (!problem) diagnostics.push(lexingDiagnostic(errors[e]!, source, file));
    }
    // A line too long or not text gets that one diagnostic and is not parsed.
    if (problem) {
      diagnostics.push(problem);
      continue;
    }
    // A line with a lexing error is not parsed: its tokens are incomplete.
    if (line.length === 0 || e > lineErrors) continue;
    remapParser.input = line;
    const cst = remapParser.statement();
    const [error] = remapParser.errors;
    if (error) diagnostics.push(syntaxDiagnostic(error, line, file));
    else statements.push(buildStatement(cst, { file, start: line[0]!.startOffset, end: tokenEnd(line.at(-1)!) }, ctx));
  }
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
 * Returns the offset where each line of `source` ends (its break: `\n`, `\r\n` or `\r`, or the end of the source).
 * A final line without a break counts only when it is not empty.
 */
function lineEnds(source: string): number[] {
  const ends: number[] = [];
  const breaks = /\r\n?|\n/g;
  let start = 0;
  for (let match = breaks.exec(source); match; match = breaks.exec(source)) {
    ends.push(match.index);
    start = match.index + match[0].length;
  }
  if (start < source.length) ends.push(source.length);
  return ends;
}

/** Returns the diagnostic for a line that is too long, holds bytes that were not UTF-8 or a control character, if it does. */
function lineProblem(source: string, breakOrStart: number, end: number, file: string): Diagnostic | undefined {
  const start = breakOrStart + (source.startsWith('\r\n', breakOrStart) ? 2 : /[\r\n]/.test(source[breakOrStart] ?? '') ? 1 : 0);
  if (end - start > MAX_LINE_LENGTH) {
    return diagnostic('remap/line-too-long', `the line is ${end - start} characters long, more than ${MAX_LINE_LENGTH}; is this a remap file?`, { file, start: end, end });
  }
  const text = source.slice(start, end);
  const replaced = text.indexOf(REPLACEMENT_CHARACTER);
  if (replaced !== -1) return diagnostic('remap/not-utf8', 'the file is not UTF-8 here (or holds U+FFFD); save it as UTF-8', { file, start: start + replaced, end: start + replaced + 1 });
  // Tabs are whitespace; any other control character (a NUL, say) means this is not a text file.
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (!control) return undefined;
  const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return diagnostic('remap/control-character', `control character ${code} in a remap; is this a text file?`, { file, start: start + control.index, end: start + control.index + 1 });
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
    return { file, start: token.startOffset, end: tokenEnd(token) };
  }
  const end = tokenEnd(line[line.length - 1]!);
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
    span: { file, start: t.startOffset, end: tokenEnd(t) },
    text: t.image,
    trailing: lineTokens.length > 0 && lineTokens[0]!.startOffset < t.startOffset,
  };
}
