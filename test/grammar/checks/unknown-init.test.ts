import { test } from 'uvu';
import { unknownInit } from '../../../grammar/checks/unknown-init.ts';
import { checkTable } from './check-table.ts';

checkTable(unknownInit, [
  ['every known kind with its arguments is fine', 'reinit a with default\nreinit b with normal(0.02)\nreinit c with uniform(-1, 1)\non mismatch reinit with target', []],
  ['an unknown kind with a suggestion', 'reinit a with kaimin', ['1:15 remap/unknown-init: unknown init kind "kaimin". Did you mean "kaiming"?']],
  ['an unknown kind without a suggestion', 'on mismatch reinit with orthogonal', ['1:25 remap/unknown-init: unknown init kind "orthogonal".']],
  ['too few arguments', 'reinit a with normal', ['1:15 remap/init-arguments: "normal" takes 1 argument(s) (std), not 0']],
  ['arguments where none are taken', 'reinit a with zeros(1)', ['1:15 remap/init-arguments: "zeros" takes no arguments, not 1']],
  ['a non-positive std', 'reinit a with normal(0)', ['1:15 remap/init-arguments: "normal" needs a standard deviation above 0, not 0']],
  ['uniform bounds in the wrong order', 'reinit a with uniform(1, -1)', ['1:15 remap/init-arguments: "uniform(a, b)" needs a < b, not 1 and -1']],
  ['names from Object.prototype are not kinds', 'reinit a with toString', ['1:15 remap/unknown-init: unknown init kind "toString".']],
]);

test.run();
