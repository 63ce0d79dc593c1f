import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { duplicateRule } from '../../../grammar/checks/duplicate-rule.ts';
import { parseClean } from '../ast-helpers.ts';
import { checkTable } from './check-table.ts';

checkTable(duplicateRule, [
  ['different statements are fine', 'drop a\ndrop b\nreinit a', []],
  ['the same statement twice', 'drop a.**\nreinit b\ndrop a.**', ['3:1 remap/duplicate-rule: "drop a.**" is written twice; remove one']],
  ['the same statement written differently', 'a[:,0:2] <- [ :, 3:5 ]\na[:, 0:2]  <-  [:, 3:5]', ['2:1 remap/duplicate-rule: "a[:, 0:2] <- [:, 3:5]" is written twice; remove one']],
]);

test('a duplicate points at both copies', () => {
  const source = 'drop a\ndrop a\n';
  const [d] = duplicateRule.check(parseClean(source));
  assert.equal(d!.spans.map((s) => s.start), [7, 0]);
});

test.run();
