/**
 * The `.remap` printer: the canonical text of an AST (`surgery fmt`), and the canonical text of single patterns and
 * statements (used in messages and to compare statements). `parseRemap(printRemap(ast))` gives back `ast` (spans
 * aside); printing never mutates the AST.
 */
import type * as A from './ast.ts';
import { KEYWORDS } from './lexer.ts';

const WORD = /^(?:[^\s.,[\](){}:#"*=<>!%-]|-(?!>))+$/;
const KEYWORD_TEXT = new Set(KEYWORDS.map((k) => String(k.PATTERN).slice(1, -1)));

/** Options of `printRemap`. */
export interface PrintRemapOptions {
  /**
   * The text the AST was parsed from. With it, single blank lines between statements are kept (runs of blank lines
   * become one); without it, statements are printed one after another.
   */
  source?: string;
}

/**
 * Returns the canonical text of a whole file: one statement per line, single spaces, comments kept where they were,
 * `->` and `<-` aligned in runs of adjacent renames and assignments, trailing comments aligned in each run of lines.
 */
export function printRemap(file: A.RemapFile, options: PrintRemapOptions = {}): string {
  const items = layoutItems(file);
  const lines: string[] = [];
  let block: Item[] = [];
  const flush = (): void => {
    lines.push(...printBlock(block));
    block = [];
  };
  items.forEach((item, i) => {
    const previous = items[i - 1];
    if (previous && options.source !== undefined && blankLineBetween(options.source, previous.end, item.start)) {
      flush();
      lines.push('');
    }
    block.push(item);
  });
  flush();
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Returns the canonical text of one statement (no comment). */
export function printStatement(s: A.Statement): string {
  return statementParts(s).join('');
}

/** Returns the canonical text of a key pattern, e.g. `policy.**.conv*.{name}.weight`. */
export function printPattern(p: A.KeyPattern): string {
  return p.segments
    .map((segment, i) => segment.parts.map((part, j) => printPart(part, i === 0 || j > 0)).join(''))
    .join('.');
}

/** Returns `[d0, d1]` for a slice. */
export function printSlice(s: A.Slice): string {
  return `[${s.dims.map((d) => (d.kind === 'RangeRef' ? d.name : printRange(d))).join(', ')}]`;
}

/** Returns `start:stop` with missing bounds left out. */
export function printRange(r: A.RangeDim): string {
  return `${r.start ?? ''}:${r.stop ?? ''}`;
}

/** Returns `kaiming` or `normal(0.02)`. */
export function printInit(init: A.InitSpec): string {
  return init.args.length ? `${init.name.value}(${init.args.join(', ')})` : init.name.value;
}

/**
 * A printed line: a statement (split in two where alignment applies: the text before the arrow and the rest) or an
 * own-line comment; `start`/`end` are source offsets for blank-line detection.
 */
interface Item {
  head: string;
  tail: string;
  align: 'rename' | 'assign' | null;
  comment: string | null;
  start: number;
  end: number;
}

function layoutItems(file: A.RemapFile): Item[] {
  const items: Item[] = file.statements.map((s) => {
    const [head, tail] = statementParts(s);
    const align = s.kind === 'Rename' ? 'rename' : s.kind === 'Assign' ? 'assign' : null;
    return { head: head!, tail: tail ?? '', align, comment: null, start: s.span.start, end: s.span.end };
  });
  // Statements and comments are both in source order: a trailing comment belongs to the last statement before it.
  const ownLine: Item[] = [];
  let owner = -1;
  for (const c of file.comments) {
    while (owner + 1 < items.length && items[owner + 1]!.start < c.span.start) owner++;
    const item = items[owner];
    if (c.trailing && item && item.comment === null) {
      item.comment = c.text.trimEnd();
      item.end = c.span.end;
    } else {
      ownLine.push({ head: c.text.trimEnd(), tail: '', align: null, comment: null, start: c.span.start, end: c.span.end });
    }
  }
  return [...items, ...ownLine].sort((a, b) => a.start - b.start);
}

/** Prints a run of lines with no blank line between them, aligning arrows and trailing comments. */
function printBlock(block: Item[]): string[] {
  // Width of each item's run of same-kind arrows, found in one pass per run.
  const widths = new Array<number>(block.length).fill(0);
  for (let i = 0; i < block.length; ) {
    let j = i;
    let width = 0;
    while (j < block.length && block[i]!.align !== null && block[j]!.align === block[i]!.align) width = Math.max(width, block[j++]!.head.length);
    for (let k = i; k < j; k++) widths[k] = width;
    i = Math.max(j, i + 1);
  }
  const heads = block.map((item, i) => item.head.padEnd(widths[i]!) + item.tail);
  let commentColumn = 0;
  heads.forEach((head, i) => {
    if (block[i]!.comment !== null) commentColumn = Math.max(commentColumn, head.length + 2);
  });
  return heads.map((head, i) => {
    const comment = block[i]!.comment;
    return comment === null ? head : head.padEnd(commentColumn) + comment;
  });
}

function blankLineBetween(source: string, from: number, to: number): boolean {
  return /\n[ \t\f\v]*\r?\n|\r[ \t\f\v]*\r/.test(source.slice(from, to));
}

/** Returns the statement text, split before the arrow for renames and assignments so runs can be aligned. */
function statementParts(s: A.Statement): string[] {
  const parts = unmarkedParts(s);
  if ('optional' in s && s.optional) parts[0] = `optional ${parts[0]}`;
  return parts;
}

/** Returns the statement text without its `optional` mark. */
function unmarkedParts(s: A.Statement): string[] {
  switch (s.kind) {
    case 'Version':
      return [`version ${s.version}`];
    case 'In':
      return [`in ${s.scopes.map(printPattern).join(', ')}`];
    case 'Let':
      return [`let ${s.name.value} = ${printRange(s.range)}`];
    case 'Rename':
      return [`${printPattern(s.from)} `, `-> ${printPattern(s.to)}`];
    case 'Drop':
      return [`drop ${printPattern(s.pattern)}`];
    case 'Reinit':
      return [`reinit ${printPattern(s.pattern)}${s.init ? ` with ${printInit(s.init)}` : ''}`];
    case 'OnMismatch':
      return [`on mismatch ${s.action}${s.init ? ` with ${printInit(s.init)}` : ''}`];
    case 'Assign':
      return [`${printPattern(s.target)}${s.targetSlice ? printSlice(s.targetSlice) : ''} `, `<- ${assignSource(s)}`];
    case 'Allow':
      return [`allow ${s.what} ${printPattern(s.pattern)}`];
    case 'ExpectCount':
      return [expectCount(s)];
    case 'ExpectWithin':
      return [`expect ${s.metric.value} within ${printPattern(s.scope)}`];
    case 'Freeze':
      return [`freeze ${printPattern(s.pattern)}${s.steps === null ? '' : ` for ${s.steps} steps`}`];
    case 'Lr':
      return [`lr x${s.factor} ${printPattern(s.pattern)}`];
    case 'Cast':
      return [`cast ${printPattern(s.pattern)} to ${s.dtype.value}`];
  }
}

function assignSource(s: A.AssignStatement): string {
  const slice = s.sourceSlice ? printSlice(s.sourceSlice) : '';
  return s.source ? `source ${printPattern(s.source)}${slice}` : slice;
}

function expectCount(s: A.ExpectCountStatement): string {
  const measure = s.measure === 'params' ? ' params' : '';
  const scope = s.scope ? ` in ${printPattern(s.scope)}` : '';
  return `expect ${s.metric.value} ${s.comparator} ${s.value}${s.percent ? '%' : ''}${measure}${scope}`;
}

/**
 * Prints one part. A literal is written bare when it lexes back as one `Word` and cannot be read as a keyword
 * (`keywordIsKeyword`: true except for the first part of a segment after `.`, where keywords are plain segments).
 */
function printPart(part: A.PatternPart, keywordIsKeyword: boolean): string {
  if (part.kind === 'Wildcard') {
    if (part.name === null) return part.many ? '**' : '*';
    return part.many ? `{${part.name}:**}` : `{${part.name}}`;
  }
  const bare = WORD.test(part.value) && !(keywordIsKeyword && KEYWORD_TEXT.has(part.value));
  return part.quoted || !bare ? `"${part.value.replace(/[\\"]/g, '\\$&')}"` : part.value;
}
