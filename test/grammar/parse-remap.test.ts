import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_LINE_LENGTH, parseRemap } from '../../grammar/parse-remap.ts';
import { MAX_DIAGNOSTICS } from '../../src/diagnostics.ts';
import { describe, parseClean, withoutSpans } from './ast-helpers.ts';

// --- small builders for expected ASTs (spans are compared separately) -------------------------------------------
const lit = (value: string, quoted = false) => ({ kind: 'Literal', value, quoted });
const star = (name: string | null = null) => ({ kind: 'Wildcard', many: false, name });
const globstar = (name: string | null = null) => ({ kind: 'Wildcard', many: true, name });
const seg = (...parts: unknown[]) => ({ kind: 'PatternSegment', parts });
/** A pattern whose segments are given as strings (one literal each) or as `seg(...)` values. */
const pat = (...segments: unknown[]) => ({
  kind: 'KeyPattern',
  segments: segments.map((s) => (typeof s === 'string' ? seg(lit(s)) : s)),
});
const range = (start: number | null, stop: number | null) => ({ kind: 'Range', start, stop });
const name = (value: string) => ({ kind: 'Name', value });

const VALID: [string, unknown][] = [
  ['version 1', { kind: 'Version', version: 1 }],
  ['in model.nets, model.ema', { kind: 'In', scopes: [pat('model', 'nets'), pat('model', 'ema')] }],
  ['let cam = 7:519', { kind: 'Let', name: name('cam'), range: range(7, 519) }],
  [
    'camera/image/varied_camera_1_left_image -> agentview_rgb',
    { kind: 'Rename', optional: false, scope: 'segment', from: pat('camera/image/varied_camera_1_left_image'), to: pat('agentview_rgb') },
  ],
  [
    'policy.noise_pred_net.module.** -> policy.noise_pred_net.**',
    {
      kind: 'Rename', optional: false,
      scope: 'key',
      from: pat('policy', 'noise_pred_net', 'module', seg(globstar())),
      to: pat('policy', 'noise_pred_net', seg(globstar())),
    },
  ],
  ['cam_* -> camera_*', { kind: 'Rename', optional: false, scope: 'segment', from: pat(seg(lit('cam_'), star())), to: pat(seg(lit('camera_'), star())) }],
  [
    '{pre:**}.{cam}_image.{w:*} -> {pre:**}.{cam}.{w}',
    {
      kind: 'Rename', optional: false,
      scope: 'key',
      from: pat(seg(globstar('pre')), seg(star('cam'), lit('_image')), seg(star('w'))),
      to: pat(seg(globstar('pre')), seg(star('cam')), seg(star('w'))),
    },
  ],
  ['drop **.lang_fixed/**', { kind: 'Drop', optional: false, pattern: pat(seg(globstar()), seg(lit('lang_fixed/'), globstar())) }],
  ['drop "odd key.with dot"', { kind: 'Drop', optional: false, pattern: pat(seg(lit('odd key.with dot', true))) }],
  ['drop a."in".x"y\\"z"', { kind: 'Drop', optional: false, pattern: pat('a', seg(lit('in', true)), seg(lit('x'), lit('y"z', true))) }],
  ['drop a.in.for', { kind: 'Drop', optional: false, pattern: pat('a', 'in', 'for') }],
  ['reinit a.b.*', { kind: 'Reinit', optional: false, pattern: pat('a', 'b', seg(star())), init: null }],
  [
    'reinit x with uniform(-0.1, 0.25)',
    { kind: 'Reinit', optional: false, pattern: pat('x'), init: { kind: 'InitSpec', name: name('uniform'), args: [-0.1, 0.25] } },
  ],
  ['reinit x with normal(1e-3)', { kind: 'Reinit', optional: false, pattern: pat('x'), init: { kind: 'InitSpec', name: name('normal'), args: [0.001] } }],
  ['on mismatch error', { kind: 'OnMismatch', action: 'error', init: null }],
  ['on mismatch reinit with zeros', { kind: 'OnMismatch', action: 'reinit', init: { kind: 'InitSpec', name: name('zeros'), args: [] } }],
  [
    'a.weight[:, 0:512] <- [:, 7:519]',
    {
      kind: 'Assign', optional: false,
      target: pat('a', 'weight'),
      targetSlice: { kind: 'Slice', dims: [range(null, null), range(0, 512)] },
      source: null,
      sourceSlice: { kind: 'Slice', dims: [range(null, null), range(7, 519)] },
    },
  ],
  [
    'a.weight[3:, :8] <- source b.weight[cols]',
    {
      kind: 'Assign', optional: false,
      target: pat('a', 'weight'),
      targetSlice: { kind: 'Slice', dims: [range(3, null), range(null, 8)] },
      source: pat('b', 'weight'),
      sourceSlice: { kind: 'Slice', dims: [{ kind: 'RangeRef', name: 'cols' }] },
    },
  ],
  ['a <- source b', { kind: 'Assign', optional: false, target: pat('a'), targetSlice: null, source: pat('b'), sourceSlice: null }],
  ['allow missing x.**', { kind: 'Allow', optional: false, what: 'missing', pattern: pat('x', seg(globstar())) }],
  ['allow unexpected x', { kind: 'Allow', optional: false, what: 'unexpected', pattern: pat('x') }],
  [
    'expect loaded >= 95% params in policy.obs_encoder.**',
    {
      kind: 'ExpectCount',
      metric: name('loaded'),
      comparator: '>=',
      value: 95,
      percent: true,
      measure: 'params',
      scope: pat('policy', 'obs_encoder', seg(globstar())),
    },
  ],
  [
    'expect unexpected == 0',
    { kind: 'ExpectCount', metric: name('unexpected'), comparator: '==', value: 0, percent: false, measure: 'tensors', scope: null },
  ],
  [
    'expect missing != 2.5 tensors',
    { kind: 'ExpectCount', metric: name('missing'), comparator: '!=', value: 2.5, percent: false, measure: 'tensors', scope: null },
  ],
  ['expect reinit within head.**', { kind: 'ExpectWithin', metric: name('reinit'), scope: pat('head', seg(globstar())) }],
  ['freeze enc.**.backbone.** for 2000 steps', { kind: 'Freeze', optional: false, pattern: pat('enc', seg(globstar()), 'backbone', seg(globstar())), steps: 2000 }],
  ['freeze enc', { kind: 'Freeze', optional: false, pattern: pat('enc'), steps: null }],
  ['lr x0.1 policy.obs_encoder.**', { kind: 'Lr', optional: false, factor: 0.1, pattern: pat('policy', 'obs_encoder', seg(globstar())) }],
  ['lr x2 head', { kind: 'Lr', optional: false, factor: 2, pattern: pat('head') }],
  ['cast ** to float16', { kind: 'Cast', optional: false, pattern: pat(seg(globstar())), dtype: name('float16') }],
  // 'optional' marks every statement that matches keys.
  [
    'optional **._orig_mod.** -> **.**',
    { kind: 'Rename', optional: true, scope: 'key', from: pat(seg(globstar()), '_orig_mod', seg(globstar())), to: pat(seg(globstar()), seg(globstar())) },
  ],
  ['optional cam_1 -> agentview', { kind: 'Rename', optional: true, scope: 'segment', from: pat('cam_1'), to: pat('agentview') }],
  ['optional drop **.lang_fixed/**', { kind: 'Drop', optional: true, pattern: pat(seg(globstar()), seg(lit('lang_fixed/'), globstar())) }],
  [
    'optional reinit head.* with zeros',
    { kind: 'Reinit', optional: true, pattern: pat('head', seg(star())), init: { kind: 'InitSpec', name: name('zeros'), args: [] } },
  ],
  [
    'optional a.w[:, 0:2] <- [:, 5:7]',
    {
      kind: 'Assign',
      optional: true,
      target: pat('a', 'w'),
      targetSlice: { kind: 'Slice', dims: [range(null, null), range(0, 2)] },
      source: null,
      sourceSlice: { kind: 'Slice', dims: [range(null, null), range(5, 7)] },
    },
  ],
  ['optional a <- source b', { kind: 'Assign', optional: true, target: pat('a'), targetSlice: null, source: pat('b'), sourceSlice: null }],
  ['optional allow missing x.**', { kind: 'Allow', optional: true, what: 'missing', pattern: pat('x', seg(globstar())) }],
  ['optional freeze enc for 10 steps', { kind: 'Freeze', optional: true, pattern: pat('enc'), steps: 10 }],
  ['optional lr x0.1 head', { kind: 'Lr', optional: true, factor: 0.1, pattern: pat('head') }],
  ['optional cast ** to float16', { kind: 'Cast', optional: true, pattern: pat(seg(globstar())), dtype: name('float16') }],
  ['optional "optional".w -> w', { kind: 'Rename', optional: true, scope: 'key', from: pat(seg(lit('optional', true)), 'w'), to: pat('w') }],
];

for (const [source, expected] of VALID) {
  test(`parses: ${source}`, () => {
    const file = parseClean(source);
    assert.equal(withoutSpans(file.statements), [expected]);
  });
}

test('keywords do not swallow identifiers that start with them (longer_alt)', () => {
  const file = parseClean('drop input.into.within_x.tox.lr_head.versions\noptional_head.w -> optionals.w\ndrop a.optional');
  assert.equal(withoutSpans(file.statements), [
    { kind: 'Drop', optional: false, pattern: pat('input', 'into', 'within_x', 'tox', 'lr_head', 'versions') },
    { kind: 'Rename', optional: false, scope: 'key', from: pat('optional_head', 'w'), to: pat('optionals', 'w') },
    { kind: 'Drop', optional: false, pattern: pat('a', 'optional') },
  ]);
});

test("an optional statement's span starts at 'optional'; its pattern's span is the pattern's own", () => {
  const source = 'drop a\n  optional   drop x.*  # maybe\n';
  const s = parseClean(source).statements[1]!;
  assert.ok(s.kind === 'Drop' && s.optional);
  if (s.kind !== 'Drop') return;
  assert.is(source.slice(s.span.start, s.span.end), 'optional   drop x.*');
  assert.is(source.slice(s.pattern.span.start, s.pattern.span.end), 'x.*');
});

test('spans cover the statement, each pattern, segment, part, slice and dimension exactly', () => {
  const source = '# c\nenc.w[:, 0:5]  <- [:, cols]  # trailing\n';
  const s = parseClean(source).statements[0]!;
  const text = (span: { start: number; end: number }) => source.slice(span.start, span.end);
  assert.is(s.kind, 'Assign');
  if (s.kind !== 'Assign') return;
  assert.is(text(s.span), 'enc.w[:, 0:5]  <- [:, cols]');
  assert.is(text(s.target.span), 'enc.w');
  assert.is(text(s.target.segments[1]!.span), 'w');
  assert.is(text(s.targetSlice!.span), '[:, 0:5]');
  assert.is(text(s.targetSlice!.dims[1]!.span), '0:5');
  assert.is(text(s.sourceSlice!.dims[1]!.span), 'cols');
  assert.is(s.span.file, 'test.remap');
});

test('comments are kept with their text and whether they trail code', () => {
  const file = parseClean('# head\ndrop a  # why\n\n   # indented\n');
  assert.equal(
    file.comments.map((c) => [c.text, c.trailing]),
    [
      ['# head', false],
      ['# why', true],
      ['# indented', false],
    ],
  );
});

test('any Unicode space separates tokens (a no-break space pasted from a web page)', () => {
  assert.equal(withoutSpans(parseClean('reinit\u00a0a\twith\u2003kaiming').statements), withoutSpans(parseClean('reinit a with kaiming').statements));
});

test('CRLF line ends and a missing final newline parse like LF', () => {
  const lf = parseClean('drop a\nreinit b\n');
  const crlf = parseClean('drop a\r\nreinit b');
  assert.equal(withoutSpans(crlf.statements), withoutSpans(lf.statements));
});

// Invalid programs: exact codes, messages and line:column; several errors in one run.
const INVALID: [string, string, string[]][] = [
  ['missing arrow', 'drop a\nfoo.bar\n', ["2:8 remap/syntax: expected '->' or '<-' after the key pattern, found the end of the line"]],
  ['wrong token after pattern', 'foo.bar = x', ["1:9 remap/syntax: expected '->' or '<-' after the key pattern, found '='"]],
  [
    'not a statement',
    '-> x',
    ["1:1 remap/syntax: expected a key pattern or a statement keyword ('drop', 'reinit', 'allow', 'expect', ...), found '->'"],
  ],
  ['allow without class', 'allow a.b', ["1:7 remap/syntax: expected 'missing' or 'unexpected' after 'allow', found 'a'"]],
  ['slice without arrow', 'a[0:1] source b', ["1:8 remap/syntax: expected '<-' after the slice, found 'source'"]],
  ['bad right side', 'a <- b', ["1:6 remap/syntax: expected a slice like '[:, 7:519]' or 'source KEY' after '<-', found 'b'"]],
  ['unclosed slice', 'a[0:1 <- [0:1]', ["1:7 remap/syntax: expected ']' or ',' in the slice, found '<-'"]],
  ['trailing garbage', 'drop a b.c -> d', ["1:12 remap/syntax: expected the end of the line after the statement, found '->'"]],
  ['on without mismatch', 'on error', ["1:4 remap/syntax: expected 'mismatch' after 'on', found 'error'"]],
  ['expect without comparison', 'expect loaded 5', ["1:15 remap/syntax: expected a comparison like '>=' or 'within' after the metric, found '5'"]],
  ['cast without dtype', 'cast a to', ["1:10 remap/syntax: expected a dtype like 'float32' after 'to', found the end of the line"]],
  ['space inside a pattern', 'drop a. b', ['1:6 remap/space-in-pattern: a key pattern cannot contain spaces; remove them, or quote the part that has them']],
  ['bad number', 'reinit a with normal(abc)', ["1:22 remap/invalid-number: expected a number, found 'abc'"]],
  ['fractional steps', 'freeze a for 2.5 steps', ["1:14 remap/invalid-number: expected a whole number, found '2.5'"]],
  ['bad index', 'a[:, x1:5] <- [:, 0:4]', ["1:6 remap/invalid-index: expected an index (a whole number, 0 or more), found 'x1'"]],
  ['bad factor', 'lr 0.1 head', ["1:4 remap/invalid-factor: expected a factor like 'x0.1' after 'lr', found '0.1'"]],
  [
    'bad capture',
    'drop {1x}.w',
    ["1:6 remap/malformed-capture: malformed capture '{1x}': write '{name}', '{name:*}' or '{name:**}' with a name of letters, digits and '_'"],
  ],
  ['unterminated quote', 'drop "abc\ndrop x', ['1:6 remap/unterminated-quote: unterminated quoted key: close it with \'"\' on the same line']],
  ['unexpected character', 'drop a!b', ["1:7 remap/unexpected-character: unexpected character '!': quote the key if it contains it (\"...\")"]],
  // What readRemapSource decodes from bytes that are not UTF-8; the lexer would take it as part of a name.
  ['bytes that are not UTF-8', 'drop a\n  drop a\uFFFDb', ['2:9 remap/not-utf8: the file is not UTF-8 here (or holds U+FFFD); save it as UTF-8']],
  ['a control character (a binary file)', 'drop a\u0000b\n\tdrop c\u007f', ['1:7 remap/control-character: control character U+0000 in a remap; is this a text file?', '2:8 remap/control-character: control character U+007F in a remap; is this a text file?']],
  [
    'a line longer than MAX_LINE_LENGTH (it would make a regex past V8\'s limit)',
    `drop ok\ndrop ${'a'.repeat(MAX_LINE_LENGTH)} -> b\ndrop bad!`,
    [
      `2:${MAX_LINE_LENGTH + 11} remap/line-too-long: the line is ${MAX_LINE_LENGTH + 10} characters long, more than ${MAX_LINE_LENGTH}; is this a remap file?`,
      "3:9 remap/unexpected-character: unexpected character '!': quote the key if it contains it (\"...\")",
    ],
  ],
  // 'optional' goes only before a statement that matches keys; the message says which those are.
  ...['version 1', 'in model.nets', 'let c = 0:2', 'on mismatch reinit', 'expect unexpected == 0', 'optional drop a'].map(
    (statement): [string, string, string[]] => [
      `optional before '${statement.split(' ')[0]}'`,
      `optional ${statement}`,
      [`1:10 remap/syntax: expected a rule that matches keys after 'optional' (a rename, a slice assignment, 'drop', 'reinit', 'allow', 'freeze', 'lr' or 'cast'), found '${statement.split(' ')[0]}'`],
    ],
  ),
  [
    'optional alone',
    'optional  # why',
    ["1:9 remap/syntax: expected a rule that matches keys after 'optional' (a rename, a slice assignment, 'drop', 'reinit', 'allow', 'freeze', 'lr' or 'cast'), found the end of the line"],
  ],
  [
    'a key starting with the keyword must be quoted',
    'optional.w -> x',
    ["1:9 remap/syntax: expected a rule that matches keys after 'optional' (a rename, a slice assignment, 'drop', 'reinit', 'allow', 'freeze', 'lr' or 'cast'), found '.'"],
  ],
  [
    'several errors in one run, good lines still parse',
    'drop a\nfoo\nreinit x with\nallow b\ndrop ok\n',
    [
      "2:4 remap/syntax: expected '->' or '<-' after the key pattern, found the end of the line",
      "3:14 remap/syntax: expected an init kind like 'kaiming' or 'normal(0.02)', found the end of the line",
      "4:7 remap/syntax: expected 'missing' or 'unexpected' after 'allow', found 'b'",
    ],
  ],
];

for (const [title, source, expected] of INVALID) {
  test(`reports: ${title}`, () => {
    const result = parseRemap(source, 'test.remap');
    assert.equal(describe(result.diagnostics, source), expected);
    for (const d of result.diagnostics) assert.ok(d.spans.every((s) => s.file === 'test.remap' && Number.isFinite(s.start)));
  });
}

test('lines with errors are left out; the others are in the AST', () => {
  const result = parseRemap('drop a\nfoo\ndrop ok\n', 'test.remap');
  assert.equal(withoutSpans(result.file.statements), [
    { kind: 'Drop', optional: false, pattern: pat('a') },
    { kind: 'Drop', optional: false, pattern: pat('ok') },
  ]);
});

test(`diagnostics are capped at MAX_DIAGNOSTICS (${MAX_DIAGNOSTICS}), the last one saying so`, () => {
  const source = 'foo\n'.repeat(MAX_DIAGNOSTICS * 2);
  const { diagnostics } = parseRemap(source, 'test.remap');
  assert.is(diagnostics.length, MAX_DIAGNOSTICS);
  assert.is(diagnostics.at(-1)!.code, 'remap/too-many-diagnostics');
  assert.is(diagnostics.at(-1)!.message, `too many problems (${MAX_DIAGNOSTICS * 2}); showing the first ${MAX_DIAGNOSTICS - 1}`);
});

test.run();
