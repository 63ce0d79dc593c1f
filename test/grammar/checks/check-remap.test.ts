import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { analyzeRemap } from '../../../grammar/analyze-remap.ts';
import { ALL_CHECKS, checkRemap } from '../../../grammar/checks/check-remap.ts';
import { describe, parseClean } from '../ast-helpers.ts';

test('every rule file in grammar/checks is registered in ALL_CHECKS', () => {
  const ruleFiles = readdirSync(new URL('../../../grammar/checks/', import.meta.url)).filter(
    (f) => f.endsWith('.ts') && !['check-rule.ts', 'check-remap.ts', 'closest-name.ts'].includes(f),
  );
  assert.is(ALL_CHECKS.length, ruleFiles.length);
  const codes = ALL_CHECKS.flatMap((r) => r.codes);
  assert.is(new Set(codes).size, codes.length, 'two rules declare the same code');
});

test('checkRemap reports every rule, in source order', () => {
  const source = 'reinit a with kaimin\nx.{a} -> y.{b}\ndrop q\ndrop q\n';
  assert.equal(describe(checkRemap(parseClean(source)), source), [
    '1:15 remap/unknown-init: unknown init kind "kaimin". Did you mean "kaiming"?',
    "2:12 remap/unbound-capture: capture \"{b}\" is not bound by the key pattern before '->'",
    '4:1 remap/duplicate-rule: "drop q" is written twice; remove one',
  ]);
});

test('analyzeRemap merges syntax and semantic diagnostics; broken lines cause no follow-on errors', () => {
  const source = 'reinit a with kaimin\nfoo\ndrop q\n';
  assert.equal(describe(analyzeRemap(source, 't').diagnostics, source), [
    '1:15 remap/unknown-init: unknown init kind "kaimin". Did you mean "kaiming"?',
    "2:4 remap/syntax: expected '->' or '<-' after the key pattern, found the end of the line",
  ]);
});

test.run();
