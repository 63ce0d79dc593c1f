import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { KEYWORDS } from '../../grammar/lexer.ts';
import { DTYPES, INIT_KINDS, METRICS } from '../../grammar/vocabulary.ts';

interface Rule {
  match?: string;
}
const grammar = JSON.parse(readFileSync(new URL('../../grammar/remap.tmLanguage.json', import.meta.url), 'utf8')) as {
  scopeName: string;
  repository: Record<string, Rule>;
};

/** Returns the words of the `(?:a|b|c)` group in a rule's match. */
function alternatives(rule: string): string[] {
  const match = grammar.repository[rule]!.match!;
  return /\(\?:([a-z0-9|]+)\)/.exec(match)![1]!.split('|').sort();
}

const keywordWords = KEYWORDS.map((k) => String(k.PATTERN).slice(1, -1));

test('the TextMate keyword list is exactly the lexer keyword list', () => {
  assert.equal(alternatives('keywords'), [...keywordWords].sort());
});

test('the TextMate vocabulary list is exactly the init kinds, metrics and dtypes that are not keywords', () => {
  const words = [...Object.keys(INIT_KINDS), ...METRICS, ...DTYPES].filter((w) => !keywordWords.includes(w));
  assert.equal(alternatives('vocabulary'), [...new Set(words)].sort());
});

test('keywords highlight as words, not inside keys', () => {
  const keyword = new RegExp(grammar.repository['keywords']!.match!, 'g');
  const hits = (text: string) => [...text.matchAll(keyword)].map((m) => m.index);
  assert.equal(hits('drop a'), [0]);
  assert.equal(hits('dropout lang/drop a.drop drop-x'), []);
  assert.equal(hits('reinit a with kaiming'), [0, 9]);
  assert.equal(hits('optional drop a.optional optional_head'), [0, 9]);
  assert.is(grammar.scopeName, 'source.remap');
});

test.run();
