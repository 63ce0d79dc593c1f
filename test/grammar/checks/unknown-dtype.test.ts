import { test } from 'uvu';
import { unknownDtype } from '../../../grammar/checks/unknown-dtype.ts';
import { checkTable } from './check-table.ts';

checkTable(unknownDtype, [
  ['known dtypes are fine', 'cast a to float32\ncast b to bfloat16', []],
  ['an unknown dtype with a suggestion', 'cast ** to float61', ['1:12 remap/unknown-dtype: unknown dtype "float61". Did you mean "float64"?']],
  ['an unknown dtype without a suggestion', 'cast ** to int8', ['1:12 remap/unknown-dtype: unknown dtype "int8".']],
]);

test.run();
