/** Runs one rule's table: each row is a source and the exact diagnostics (`line:col code: message`) it must give. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CheckRule } from '../../../grammar/checks/check-rule.ts';
import { describe, parseClean } from '../ast-helpers.ts';

export type CheckCase = [title: string, source: string, expected: string[]];

/** Registers one uvu test per row; rows with no expected diagnostics assert the rule stays quiet. */
export function checkTable(rule: CheckRule, cases: CheckCase[]): void {
  for (const [title, source, expected] of cases) {
    test(title, () => {
      const diagnostics = rule.check(parseClean(source));
      assert.equal(describe(diagnostics, source), expected);
      for (const d of diagnostics) assert.ok(rule.codes.includes(d.code), `${d.code} is not declared in the rule's codes`);
    });
  }
}
