import { test } from 'uvu';
import { unknownMetric } from '../../../grammar/checks/unknown-metric.ts';
import { checkTable } from './check-table.ts';

checkTable(unknownMetric, [
  ['known metrics are fine', 'expect loaded >= 95% params\nexpect reinit within a.**\nexpect unexpected == 0\nexpect dropped > 1', []],
  ['an unknown metric with a suggestion', 'expect lodaed == 1', ['1:8 remap/unknown-metric: unknown metric "lodaed". Did you mean "loaded"?']],
  ['an unknown metric in within', 'expect frozen within a', ['1:8 remap/unknown-metric: unknown metric "frozen".']],
  ['a percentage above 100', 'expect loaded >= 150%', ['1:1 remap/invalid-percent: a percentage must be between 0 and 100, not 150']],
]);

test.run();
