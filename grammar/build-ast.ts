/**
 * Turns the CST of one statement into an AST node (the CST→AST visitor). It also reports what the grammar leaves to
 * it: numbers, capture syntax, spaces inside key patterns and slice bounds.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Diagnostic, Span } from '../src/diagnostics.ts';
import { invariant } from '../src/invariant.ts';
import type * as A from './ast.ts';
import { Capture, DoubleStar, Quoted, Star, tokenEnd } from './lexer.ts';

/** Where the builder is: the file name for spans and the diagnostics it reports. */
export interface BuildContext {
  file: string;
  diagnostics: Diagnostic[];
}

const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const INTEGER = /^\d+$/;
const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::(\*\*?))?\}$/;

/**
 * Returns the AST node for one `statement` CST node.
 *
 * @param span the statement's span: from its first token to its last (a statement is all the tokens of its line).
 */
export function buildStatement(node: CstNode, span: Span, ctx: BuildContext): A.Statement {
  const inner = onlyNode(node);
  if (inner.name === 'keyRule') return keyRule(onlyNode(inner), maybeToken(node, 'Optional') !== undefined, span, ctx);
  const build = STATEMENT_BUILDERS[inner.name];
  invariant(build, `no AST builder for rule ${inner.name}`);
  return build(inner, span, ctx);
}

/** Returns a key rule's node; `optional` (the keyword was written) marks it. */
function keyRule(n: CstNode, optional: boolean, span: Span, ctx: BuildContext): A.KeyRule {
  const build = KEY_RULE_BUILDERS[n.name];
  invariant(build, `no AST builder for rule ${n.name}`);
  const rule = build(n, span, ctx);
  if (optional) rule.optional = true;
  return rule;
}

type Builder = (node: CstNode, span: Span, ctx: BuildContext) => A.Statement;
type KeyRuleBuilder = (node: CstNode, span: Span, ctx: BuildContext) => A.KeyRule;

const STATEMENT_BUILDERS: Readonly<Record<string, Builder>> = {
  versionStatement: (n, span, ctx) => ({ kind: 'Version', span, version: integer(node(n, 'number'), ctx) }),
  inStatement: (n, span, ctx) => ({ kind: 'In', span, scopes: nodes(n, 'pattern').map((p) => pattern(p, ctx)) }),
  letStatement: (n, span, ctx) => {
    const name = token(n, 'Word');
    return { kind: 'Let', span, name: nameOf(name, ctx), range: range(node(n, 'range'), ctx) };
  },
  onMismatchStatement: (n, span, ctx) => ({
    kind: 'OnMismatch',
    span,
    action: maybeToken(n, 'Reinit') ? 'reinit' : 'error',
    init: maybeNode(n, 'initSpec') ? initSpec(node(n, 'initSpec'), ctx) : null,
  }),
  expectStatement: expectStatement,
};

/** Builders of the `keyRule` alternatives; each node starts as not optional (`keyRule` marks it). */
const KEY_RULE_BUILDERS: Readonly<Record<string, KeyRuleBuilder>> = {
  dropStatement: (n, span, ctx) => ({ kind: 'Drop', span, optional: false, pattern: pattern(node(n, 'pattern'), ctx) }),
  reinitStatement: (n, span, ctx) => ({
    kind: 'Reinit',
    span,
    optional: false,
    pattern: pattern(node(n, 'pattern'), ctx),
    init: maybeNode(n, 'initSpec') ? initSpec(node(n, 'initSpec'), ctx) : null,
  }),
  allowStatement: (n, span, ctx) => ({
    kind: 'Allow',
    span,
    optional: false,
    what: maybeToken(n, 'Missing') ? 'missing' : 'unexpected',
    pattern: pattern(node(n, 'pattern'), ctx),
  }),
  freezeStatement: (n, span, ctx) => ({
    kind: 'Freeze',
    span,
    optional: false,
    pattern: pattern(node(n, 'pattern'), ctx),
    steps: maybeNode(n, 'number') ? integer(node(n, 'number'), ctx) : null,
  }),
  lrStatement: lrStatement,
  castStatement: (n, span, ctx) => ({
    kind: 'Cast',
    span,
    optional: false,
    pattern: pattern(node(n, 'pattern'), ctx),
    dtype: nameOf(token(n, 'Word'), ctx),
  }),
  mapping: mapping,
};

function expectStatement(n: CstNode, span: Span, ctx: BuildContext): A.Statement {
  const metricToken = onlyToken(node(n, 'metric'));
  const metric = nameOf(metricToken, ctx);
  if (maybeToken(n, 'Within')) {
    return { kind: 'ExpectWithin', span, metric, scope: pattern(node(n, 'pattern'), ctx) };
  }
  const comparator = token(n, 'Comparator');
  return {
    kind: 'ExpectCount',
    span,
    metric,
    comparator: comparator.image as A.Comparator,
    comparatorSpan: tokenSpan(comparator, ctx),
    value: number(node(n, 'number'), ctx),
    percent: maybeToken(n, 'Percent') !== undefined,
    measure: maybeToken(n, 'Params') ? 'params' : 'tensors',
    scope: maybeNode(n, 'pattern') ? pattern(node(n, 'pattern'), ctx) : null,
  };
}

function lrStatement(n: CstNode, span: Span, ctx: BuildContext): A.LrStatement {
  const whole = token(n, 'factor');
  const fraction = maybeToken(n, 'factorFraction');
  const tokens = fraction ? [whole, token(n, 'factorDot'), fraction] : [whole];
  const text = tokens.map((t) => t.image).join('');
  let factor = Number.NaN;
  if (text.startsWith('x') && NUMBER.test(text.slice(1)) && adjacent(tokens)) factor = Number(text.slice(1));
  else report(ctx, 'remap/invalid-factor', `expected a factor like 'x0.1' after 'lr', found '${text}'`, spanOf(tokens, ctx));
  return { kind: 'Lr', span, optional: false, factor, pattern: pattern(node(n, 'pattern'), ctx) };
}

function mapping(n: CstNode, span: Span, ctx: BuildContext): A.RenameStatement | A.AssignStatement {
  const left = pattern(node(n, 'left'), ctx);
  if (maybeToken(n, 'Arrow')) {
    const right = pattern(node(n, 'right'), ctx);
    const scope = left.segments.length === 1 && !left.segments[0]!.parts.some((p) => p.kind === 'Wildcard' && p.many);
    return { kind: 'Rename', span, optional: false, scope: scope ? 'segment' : 'key', from: left, to: right };
  }
  return {
    kind: 'Assign',
    span,
    optional: false,
    target: left,
    targetSlice: maybeNode(n, 'leftSlice') ? slice(node(n, 'leftSlice'), ctx) : null,
    source: maybeNode(n, 'source') ? pattern(node(n, 'source'), ctx) : null,
    sourceSlice: maybeNode(n, 'rightSlice') ? slice(node(n, 'rightSlice'), ctx) : null,
  };
}

/**
 * Returns the pattern, splitting its parts into segments at the dots. Reports spaces between its tokens (`a b`,
 * `a. b`), which the grammar cannot see: the tokens are contiguous exactly when their lengths add up to the extent.
 */
function pattern(n: CstNode, ctx: BuildContext): A.KeyPattern {
  const parts = partTokens(n);
  const dots = (n.children['Dot'] ?? []) as IToken[];
  const span = between(parts[0]!, parts[parts.length - 1]!, ctx);
  const segments: A.PatternSegment[] = [];
  // The parts of the segment being read. Each segment gets an exact-size copy: an array grown by push from empty
  // reserves 17 slots, and a big file holds a hundred thousand one-part segments.
  const segment: A.PatternPart[] = [];
  let written = dots.length;
  let d = 0;
  for (const t of parts) {
    // Every dot lies between two parts (the grammar puts a part after each), so it closes the segment before `t`.
    for (; d < dots.length && dots[d]!.startOffset < t.startOffset; d++) {
      segments.push(segmentOf(segment.slice(), ctx));
      segment.length = 0;
    }
    written += t.image.length;
    segment.push(part(t, ctx));
  }
  segments.push(segmentOf(segment.slice(), ctx));
  if (written !== span.end - span.start) {
    report(ctx, 'remap/space-in-pattern', 'a key pattern cannot contain spaces; remove them, or quote the part that has them', span);
  }
  return { kind: 'KeyPattern', span, segments };
}

/**
 * Returns a pattern's part tokens (keywords written as segments included) in source order. CST children are grouped
 * by token type, each group in source order; only the rare keyword segments need merging.
 */
function partTokens(n: CstNode): IToken[] {
  const parts = n.children['Part'] as IToken[];
  const keywords = n.children['Keyword'] as IToken[] | undefined;
  if (!keywords) return parts;
  return [...parts, ...keywords].sort((a, b) => a.startOffset - b.startOffset);
}

function segmentOf(parts: A.PatternPart[], ctx: BuildContext): A.PatternSegment {
  // A one-part segment shares its part's span object (spans are never mutated): big files hold many of them.
  const span = parts.length === 1 ? parts[0]!.span : { file: ctx.file, start: parts[0]!.span.start, end: parts[parts.length - 1]!.span.end };
  return { kind: 'PatternSegment', span, parts };
}

function part(t: IToken, ctx: BuildContext): A.PatternPart {
  const span = tokenSpan(t, ctx);
  switch (t.tokenType) {
    case Star:
      return { kind: 'Wildcard', span, many: false, name: null };
    case DoubleStar:
      return { kind: 'Wildcard', span, many: true, name: null };
    case Quoted:
      return { kind: 'Literal', span, value: t.image.slice(1, -1).replace(/\\(.)/g, '$1'), quoted: true };
    case Capture:
      return capture(t, span, ctx);
    default:
      // Word, or a keyword written as a segment after '.'.
      return { kind: 'Literal', span, value: t.image, quoted: false };
  }
}

function capture(t: IToken, span: Span, ctx: BuildContext): A.WildcardPart {
  const match = CAPTURE.exec(t.image);
  if (!match) {
    report(
      ctx,
      'remap/malformed-capture',
      `malformed capture '${t.image}': write '{name}', '{name:*}' or '{name:**}' with a name of letters, digits and '_'`,
      span,
    );
    return { kind: 'Wildcard', span, many: false, name: t.image.slice(1, -1) };
  }
  return { kind: 'Wildcard', span, many: match[2] === '**', name: match[1]! };
}

function slice(n: CstNode, ctx: BuildContext): A.Slice {
  const dims = nodes(n, 'sliceDim').map((d): A.SliceDim => {
    const name = maybeToken(d, 'name');
    if (name) return { kind: 'RangeRef', span: tokenSpan(name, ctx), name: name.image };
    return range(node(d, 'range'), ctx);
  });
  return { kind: 'Slice', span: between(token(n, 'LBracket'), token(n, 'RBracket'), ctx), dims };
}

function range(n: CstNode, ctx: BuildContext): A.RangeDim {
  const colon = token(n, 'Colon');
  const span = between(maybeToken(n, 'start') ?? colon, maybeToken(n, 'stop') ?? colon, ctx);
  return { kind: 'Range', span, start: bound(n, 'start', ctx), stop: bound(n, 'stop', ctx) };
}

/** Returns a range bound (null when left out); reports text that is not a non-negative whole number. */
function bound(n: CstNode, label: string, ctx: BuildContext): number | null {
  const t = maybeToken(n, label);
  if (!t) return null;
  if (INTEGER.test(t.image)) return Number(t.image);
  report(ctx, 'remap/invalid-index', `expected an index (a whole number, 0 or more), found '${t.image}'`, tokenSpan(t, ctx));
  return null;
}

function initSpec(n: CstNode, ctx: BuildContext): A.InitSpec {
  const name = token(n, 'Word');
  return {
    kind: 'InitSpec',
    span: between(name, maybeToken(n, 'RParen') ?? name, ctx),
    name: nameOf(name, ctx),
    args: nodes(n, 'number').map((a) => number(a, ctx)),
  };
}

/** Returns the value of a `number` node; reports text that is not a number (NaN in the AST). */
function number(n: CstNode, ctx: BuildContext): number {
  const tokens = numberTokens(n);
  const text = tokens.map((t) => t.image).join('');
  if (NUMBER.test(text) && adjacent(tokens)) return Number(text);
  report(ctx, 'remap/invalid-number', `expected a number, found '${text}'`, spanOf(tokens, ctx));
  return Number.NaN;
}

function integer(n: CstNode, ctx: BuildContext): number {
  const tokens = numberTokens(n);
  const text = tokens.map((t) => t.image).join('');
  if (INTEGER.test(text)) return Number(text);
  report(ctx, 'remap/invalid-number', `expected a whole number, found '${text}'`, spanOf(tokens, ctx));
  return Number.NaN;
}

/** Returns the tokens of a `number` node in source order: whole, then '.' and fraction when present. */
function numberTokens(n: CstNode): IToken[] {
  const fraction = maybeToken(n, 'fraction');
  return fraction ? [token(n, 'whole'), token(n, 'Dot'), fraction] : [token(n, 'whole')];
}

function nameOf(t: IToken, ctx: BuildContext): A.Name {
  return { kind: 'Name', span: tokenSpan(t, ctx), value: t.image };
}

function report(ctx: BuildContext, code: string, message: string, span: Span): void {
  ctx.diagnostics.push({ code, severity: 'error', message, spans: [span] });
}

// --- CST access -----------------------------------------------------------------------------------------------

function onlyNode(n: CstNode): CstNode {
  for (const key in n.children) {
    const e = n.children[key]![0];
    if (e && isNode(e)) return e;
  }
  invariant(false, `rule ${n.name} should have one sub-rule`);
}

function isNode(e: CstElement): e is CstNode {
  return (e as CstNode).children !== undefined;
}

function maybeNode(n: CstNode, key: string): CstNode | undefined {
  const e = n.children[key]?.[0];
  return e && isNode(e) ? e : undefined;
}

function node(n: CstNode, key: string): CstNode {
  const found = maybeNode(n, key);
  invariant(found, `rule ${n.name} has no sub-rule ${key}`);
  return found;
}

function nodes(n: CstNode, key: string): CstNode[] {
  return (n.children[key] ?? []).filter(isNode);
}

function maybeToken(n: CstNode, key: string): IToken | undefined {
  const e = n.children[key]?.[0];
  return e && !isNode(e) ? e : undefined;
}

function token(n: CstNode, key: string): IToken {
  const found = maybeToken(n, key);
  invariant(found, `rule ${n.name} has no token ${key}`);
  return found;
}

/** Returns the one token of a node that holds exactly one (`part`, `metric`). */
function onlyToken(n: CstNode): IToken {
  for (const key in n.children) {
    const e = n.children[key]![0];
    if (e && !isNode(e)) return e;
  }
  invariant(false, `rule ${n.name} holds no token`);
}

function adjacent(tokens: IToken[]): boolean {
  return tokens.every((t, i) => i === 0 || tokenEnd(tokens[i - 1]!) === t.startOffset);
}

// --- spans ----------------------------------------------------------------------------------------------------

function tokenSpan(t: IToken, ctx: BuildContext): Span {
  return { file: ctx.file, start: t.startOffset, end: tokenEnd(t) };
}

/** Returns the span from the start of `first` to the end of `last` (the parser tracks no node locations). */
function between(first: IToken, last: IToken, ctx: BuildContext): Span {
  return { file: ctx.file, start: first.startOffset, end: tokenEnd(last) };
}

function spanOf(tokens: IToken[], ctx: BuildContext): Span {
  return { file: ctx.file, start: tokens[0]!.startOffset, end: tokenEnd(tokens[tokens.length - 1]!) };
}
