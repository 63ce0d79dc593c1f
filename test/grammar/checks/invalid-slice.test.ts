import { test } from 'uvu';
import { invalidSlice } from '../../../grammar/checks/invalid-slice.ts';
import { checkTable } from './check-table.ts';

checkTable(invalidSlice, [
  ['matching widths and open bounds are fine', 'let c = 7:519\na[:, 0:512] <- [:, c]\nb[2:] <- [:5]\nc <- [0:3]', []],
  ['stop before start', 'a[:, 519:7] <- [:, 0:512]', ['1:6 remap/invalid-slice: range "519:7" selects nothing: its stop must be greater than its start']],
  ['an empty range', 'a[5:5] <- [0:1]', ['1:3 remap/invalid-slice: range "5:5" selects nothing: its stop must be greater than its start']],
  ['an empty let range', 'let c = 9:3', ['1:9 remap/invalid-slice: range "9:3" selects nothing: its stop must be greater than its start']],
  [
    'different ranks',
    'a[:, 0:512] <- [7:519]',
    ['1:16 remap/invalid-slice: the target slice has 2 dimension(s) but the source slice has 1; write the same number on both sides'],
  ],
  [
    'different widths',
    'a[:, 0:512] <- [:, 7:500]',
    ['1:20 remap/slice-size-mismatch: dimension 1 takes 512 element(s) on the target side but 493 on the source side'],
  ],
  [
    'different widths through a let name',
    'let c = 0:10\na[c] <- [0:11]',
    ['2:10 remap/slice-size-mismatch: dimension 0 takes 10 element(s) on the target side but 11 on the source side'],
  ],
]);

test.run();
