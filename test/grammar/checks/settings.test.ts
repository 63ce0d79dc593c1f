import { test } from 'uvu';
import { settings } from '../../../grammar/checks/settings.ts';
import { checkTable } from './check-table.ts';

checkTable(settings, [
  ['one of each setting is fine', 'version 1\nin model.nets\non mismatch reinit\ndrop a', []],
  ['version after other statements', 'drop a\nversion 1', ["2:1 remap/version-not-first: 'version' must be the first statement of the file"]],
  ['a newer version', 'version 2', ['1:1 remap/unsupported-version: this surgery reads remap version 1, not 2']],
  ['two different in statements', 'in model.nets\nin model.ema', ["2:1 remap/conflicting-setting: 'in' is set twice with different values; keep one"]],
  ['two different on mismatch', 'on mismatch error\non mismatch reinit', ["2:1 remap/conflicting-setting: 'on mismatch' is set twice with different values; keep one"]],
  ['identical repeats are left to duplicate-rule', 'in a\nin a', []],
]);

test.run();
