/**
 * The `.remap` tokens. Key text is lexed as `Word` tokens: runs of any character except whitespace, `.` and the
 * language's punctuation. Numbers are not tokens of their own (`0.0` inside `down_modules.0.0.blocks` is two key
 * segments); the parser reads a number as `Word ('.' Word)?` where a number is expected. Line breaks are skipped
 * whitespace: statements never span lines, and `parse-remap.ts` lexes a chunk of lines at a time
 * and cuts its tokens into lines by offset.
 */
import type { ILexingResult, IToken, TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain-runtime.ts';

/** Characters that end a `Word`; `-` ends it only when it starts `->`. Keep in sync with README §Lexical structure. */
const WORD = /(?:[^\s.,[\](){}:#"*=<>!%-]+|-(?!>))+/;

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

/**
 * Every UTF-16 code unit that can start a `Word`. Chevrotain cannot derive first characters from a complement class;
 * without this hint it would fall back to trying every token at every position.
 */
const WORD_START_CHARS: number[] = Array.from({ length: 0x10000 }, (_, code) => code).filter((code) =>
  WORD.test(String.fromCharCode(code)),
);

/** Every token that can be part of a key pattern segment (Word, Quoted, Capture, `*`, `**`) belongs to this category. */
export const Part = createToken({ name: 'Part', pattern: Lexer.NA, label: 'a key pattern' });

export const Word = createToken({
  name: 'Word',
  pattern: WORD,
  label: 'a name',
  start_chars_hint: WORD_START_CHARS,
  categories: [Part],
});
export const Quoted = createToken({
  name: 'Quoted',
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: 'a quoted key',
  categories: [Part],
});
/** `{name}`, `{name:*}`, `{name:**}`; the contents are validated when the AST is built. */
export const Capture = createToken({
  name: 'Capture',
  pattern: /\{[^\s{}]*\}/,
  label: "a capture like '{name}'",
  categories: [Part],
});

/** Every keyword belongs to this category, so key patterns can accept keywords as segments after a `.`. */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA });

/**
 * Fixed tokens name their first character (`start_chars_hint`), which chevrotain would otherwise find by parsing each
 * pattern with its regexp-to-ast library at every start (most of the lexer's remaining start-up for these 30 tokens).
 */
function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    start_chars_hint: [word.charCodeAt(0)],
    longer_alt: Word,
    categories: [Keyword],
    label: `'${word}'`,
  });
}

export const Version = keyword('version');
export const In = keyword('in');
export const Let = keyword('let');
export const Drop = keyword('drop');
export const Reinit = keyword('reinit');
export const With = keyword('with');
export const On = keyword('on');
export const Mismatch = keyword('mismatch');
export const ErrorKeyword = keyword('error');
export const Source = keyword('source');
export const Allow = keyword('allow');
export const Missing = keyword('missing');
export const Unexpected = keyword('unexpected');
export const Expect = keyword('expect');
export const Within = keyword('within');
export const Freeze = keyword('freeze');
export const For = keyword('for');
export const Steps = keyword('steps');
export const Lr = keyword('lr');
export const Cast = keyword('cast');
export const To = keyword('to');
export const Params = keyword('params');
export const Tensors = keyword('tensors');
export const Optional = keyword('optional');

/** The keywords in declaration order; the TextMate grammar test compares its list against this one. */
export const KEYWORDS: readonly TokenType[] = [
  Version, In, Let, Drop, Reinit, With, On, Mismatch, ErrorKeyword, Source, Allow, Missing, Unexpected, Expect, Within,
  Freeze, For, Steps, Lr, Cast, To, Params, Tensors, Optional,
];

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
export const LeftArrow = createToken({ name: 'LeftArrow', pattern: /<-/, label: "'<-'" });
/** Comparators share a category so `expect` takes any of them in one CONSUME. */
export const ComparatorToken = createToken({ name: 'Comparator', pattern: Lexer.NA, label: "a comparison like '>='" });
const comparator = (name: string, pattern: RegExp, text: string): TokenType =>
  createToken({ name, pattern, start_chars_hint: [text.charCodeAt(0)], categories: [ComparatorToken], label: `'${text}'` });
export const EqEq = comparator('EqEq', /==/, '==');
export const NotEq = comparator('NotEq', /!=/, '!=');
export const LessEq = comparator('LessEq', /<=/, '<=');
export const GreaterEq = comparator('GreaterEq', />=/, '>=');
export const Less = comparator('Less', /</, '<');
export const Greater = comparator('Greater', />/, '>');
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const Percent = createToken({ name: 'Percent', pattern: /%/, label: "'%'" });
export const DoubleStar = createToken({ name: 'DoubleStar', pattern: /\*\*/, label: "'**'", categories: [Part] });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'", categories: [Part] });

/**
 * All token types in lexing priority order: longer punctuation before its prefixes; keywords before `Word`, longest
 * first so `with` cannot hide `within`.
 */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace, Comment,
  Arrow, LeftArrow,
  ComparatorToken, EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Equals,
  LBracket, RBracket, LParen, RParen, Comma, Colon, Dot, Percent, DoubleStar, Star,
  Part, Capture, Quoted,
  Keyword, ...[...KEYWORDS].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Word,
];

/**
 * How the one lexer is built; `ensureOptimizations` makes a regression to the slow path an error, not a surprise.
 * It tracks start offsets only (line:column come from offsets when printed; `tokenEnd` gives end offsets).
 */
export const LEXER_CONFIG = { ensureOptimizations: true, positionTracking: 'onlyOffset' } as const;

/**
 * The one lexer instance. chevrotain's checks of the token definitions cost ~20 ms at the start of every `plan`;
 * they cannot fail at run time for fixed tokens, so they run in test/grammar instead.
 */
const remapLexer = new Lexer([...ALL_TOKENS], { ...LEXER_CONFIG, skipValidations: true });

/**
 * Returns the tokens, comments and lexing errors of `text`, a piece of a file that starts at offset `start`; offsets
 * are into the file. Tokens carry `startOffset` only: `tokenEnd` gives their end. No token and no lexing error
 * crosses a line break (breaks are whitespace, which always lexes), so the result can be cut into lines by offset.
 */
export function tokenizeRemap(text: string, start = 0): ILexingResult {
  const result = remapLexer.tokenize(text);
  if (start === 0) return result;
  // Line tracking would cost about as much as the rest of lexing; offsets are all the spans need.
  for (const t of result.tokens) t.startOffset += start;
  for (const t of result.groups['comments'] ?? []) t.startOffset += start;
  for (const e of result.errors) e.offset += start;
  return result;
}

/**
 * Returns the offset just past `t`. Computed, not stored: adding an `endOffset` property to every token would give
 * each one an out-of-object property store, an allocation per token.
 */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}
