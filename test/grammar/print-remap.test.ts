import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { parseRemap } from '../../grammar/parse-remap.ts';
import { printPattern, printRemap } from '../../grammar/print-remap.ts';
import type { KeyPattern } from '../../grammar/ast.ts';
import { parseClean, withoutSpans } from './ast-helpers.ts';

const PROGRAMS = [
  'version 1\nin model.nets, model.ema\n',
  'let cam = 7:519\na.w[:, cam] <- [:, 0:512]\nb.w[3:, :] <- source c.{x}.w[:8]\n',
  'camera_1 -> agentview\n{pre:**}.{cam}_image.{w:*} -> {pre:**}.{cam}.{w}\n',
  'drop **.lang_fixed/**\ndrop "odd key.with dot"\ndrop a."in".x"y\\"z"\ndrop a.in.for\n',
  'reinit a.*\nreinit b with uniform(-0.1, 0.25)\nreinit c with normal(1e-7)\non mismatch reinit with kaiming\n',
  'allow missing x.**\nallow unexpected y\n',
  'expect loaded >= 95.5% params in p.**\nexpect unexpected == 0\nexpect reinit within head.**\nexpect missing < 3 tensors\n',
  'freeze enc.** for 2000 steps\nfreeze x\nlr x0.1 policy.**\nlr x1e-3 head\ncast ** to bfloat16\n',
  'optional **.module.** -> **.**\noptional cam -> camera\noptional drop a.*\noptional reinit b with zeros\noptional c[0:2] <- [3:5]\n' +
    'optional allow unexpected d.**\noptional freeze e for 5 steps\noptional lr x0.5 f\noptional cast g to float16\noptional "optional".x -> y\n',
];

const remapFiles = readdirSync(new URL('../../remaps/', import.meta.url)).filter((f) => f.endsWith('.remap'));
const sources: [string, string][] = [
  ...PROGRAMS.map((p, i): [string, string] => [`program ${i}`, p]),
  ...remapFiles.map((f): [string, string] => [f, readFileSync(new URL(`../../remaps/${f}`, import.meta.url), 'utf8')]),
];

for (const [title, source] of sources) {
  test(`parse(print(ast)) equals ast, and print does not mutate: ${title}`, () => {
    const ast = parseClean(source);
    const before = JSON.stringify(ast);
    const printed = printRemap(ast, { source });
    assert.is(JSON.stringify(ast), before, 'printing mutated the AST');
    const again = parseClean(printed);
    assert.equal(withoutSpans(again.statements), withoutSpans(ast.statements));
    assert.equal(withoutSpans(again.comments), withoutSpans(ast.comments));
    // Canonical: printing the printed text changes nothing.
    assert.is(printRemap(again, { source: printed }), printed);
  });
}

test('canonical layout: single spaces, arrows aligned per run, trailing comments aligned per block, one blank line kept', () => {
  const source = [
    '  # header',
    'version   1',
    '',
    '',
    'a.b    ->   c.d   # one',
    'longer.key.name -> x',
    'drop    z   #two',
    '',
    'w[:,0:2]<-[ : , 5:7 ]',
    'longer.w[ :2 ] <- source   q[3:]',
    '',
  ].join('\n');
  const expected = [
    '# header',
    'version 1',
    '',
    'a.b             -> c.d  # one',
    'longer.key.name -> x',
    'drop z                  #two',
    '',
    'w[:, 0:2]    <- [:, 5:7]',
    'longer.w[:2] <- source q[3:]',
    '',
  ].join('\n');
  assert.is(printRemap(parseClean(source), { source }), expected);
});

test("canonical layout keeps 'optional' and aligns arrows past it", () => {
  const source = 'optional   **._orig_mod.**  ->  **.**\na.b -> c\noptional x[0:1]<-[2:3]\nlonger.w[:2] <- [1:3]\n';
  const expected = 'optional **._orig_mod.** -> **.**\na.b                      -> c\noptional x[0:1] <- [2:3]\nlonger.w[:2]    <- [1:3]\n';
  assert.is(printRemap(parseClean(source), { source }), expected);
});

test('without the source text, statements are printed one per line with comments in place', () => {
  const ast = parseClean('drop a  # why\n\n# own line\nreinit b\n');
  assert.is(printRemap(ast), 'drop a  # why\n# own line\nreinit b\n');
});

test('an empty file prints as an empty string', () => {
  assert.is(printRemap(parseClean('')), '');
  assert.is(printRemap(parseClean('\n\n')), '');
});

test('literals that would not lex back as one name are quoted; keywords are quoted where they would be keywords', () => {
  const at = { file: 't', start: 0, end: 0 };
  const literal = (value: string) => ({ kind: 'PatternSegment' as const, span: at, parts: [{ kind: 'Literal' as const, span: at, value, quoted: false }] });
  const pattern: KeyPattern = { kind: 'KeyPattern', span: at, segments: [literal('in'), literal('in'), literal('a b'), literal('x"y')] };
  const printed = printPattern(pattern);
  assert.is(printed, '"in".in."a b"."x\\"y"');
  assert.is(printPattern({ kind: 'KeyPattern', span: at, segments: [literal('optional'), literal('optional')] }), '"optional".optional');
  const reparsed = parseRemap(`drop ${printed}`, 't').file.statements[0]!;
  assert.ok(reparsed.kind === 'Drop');
  if (reparsed.kind === 'Drop') assert.equal(reparsed.pattern.segments.map((s) => s.parts.map((p) => p.kind === 'Literal' && p.value)), [['in'], ['in'], ['a b'], ['x"y']]);
});

test.run();
