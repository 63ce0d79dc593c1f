import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lexer } from '../../grammar/chevrotain-runtime.ts';
import { ALL_TOKENS, LEXER_CONFIG } from '../../grammar/lexer.ts';
import { RemapParser } from '../../grammar/parser.ts';

// The shipped lexer and parser skip chevrotain's definition checks to start fast; they run here.
test('the tokens pass chevrotain\'s lexer checks (and stay on its optimised path)', () => {
  const lexer = new Lexer([...ALL_TOKENS], { ...LEXER_CONFIG, deferDefinitionErrorsHandling: true });
  assert.equal(lexer.lexerDefinitionErrors.map((e) => e.message), []);
});

test('the grammar passes chevrotain\'s parser checks (no ambiguity, left recursion or duplicate rule)', () => {
  // With validations on, chevrotain's self-analysis throws "Parser Definition Errors detected" on any.
  assert.not.throws(() => new RemapParser({ validate: true }));
});

test.run();
