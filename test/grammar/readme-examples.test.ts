import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { analyzeRemap } from '../../grammar/analyze-remap.ts';
import { KEYWORDS } from '../../grammar/lexer.ts';
import { describe } from './ast-helpers.ts';

const readme = readFileSync(new URL('../../grammar/README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```remap\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('the README has remap examples', () => {
  assert.ok(examples.length >= 3);
});

examples.forEach((source, i) => {
  test(`README example ${i + 1} parses and checks clean`, () => {
    assert.equal(describe(analyzeRemap(source, 'README.md').diagnostics, source), []);
  });
});

test('the README lists every keyword of the lexer', () => {
  const listed = /\*\*Keywords\*\*: `([^`]+)`/.exec(readme.replace(/\n\s+/g, ' '))![1]!.split(/\s+/);
  assert.equal(listed.sort(), KEYWORDS.map((k) => String(k.PATTERN).slice(1, -1)).sort());
});

test.run();
