import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collapseRuns, ranges, type KeyLine } from '../../src/inspect/collapse-runs.ts';

const line = (key: string, shape = [4], dtype = 'float32'): KeyLine => ({ key, shape, dtype, count: 1 });

test('a run of 12 layers with equal shapes collapses into one line at the first key', () => {
  const keys = [line('embed.weight', [10, 4])];
  for (let layer = 0; layer < 12; layer++) keys.push(line(`layer.${layer}.norm.weight`), line(`layer.${layer}.norm.bias`));
  keys.push(line('head.weight', [2, 4]));
  assert.equal(collapseRuns(keys).map((entry) => `${entry.key} ×${entry.count}`), [
    'embed.weight ×1',
    'layer.{0..11}.norm.weight ×12',
    'layer.{0..11}.norm.bias ×12',
    'head.weight ×1',
  ]);
});

test('keys differing in shape or dtype, or runs shorter than three, stay apart', () => {
  const keys = [line('a.0.w', [1]), line('a.1.w', [2]), line('a.2.w', [3]), line('b.0.w'), line('b.1.w'), line('c.0.w'), line('c.1.w', [4], 'float16'), line('c.2.w')];
  assert.equal(collapseRuns(keys).map((entry) => entry.key), ['a.0.w', 'a.1.w', 'a.2.w', 'b.0.w', 'b.1.w', 'c.0.w', 'c.1.w', 'c.2.w']);
});

test('an inner index collapses when the outer one cannot', () => {
  const keys = [0, 1, 2].flatMap((block) => [line(`down.0.blocks.${block}.w`, [8]), line(`down.1.blocks.${block}.w`, [16])]);
  assert.equal(collapseRuns(keys).map((entry) => entry.key), ['down.0.blocks.{0..2}.w', 'down.1.blocks.{0..2}.w']);
});

test('ranges prints runs and gaps', () => {
  assert.is(ranges([3, 0, 1, 2, 7, 9, 8, 11]), '0..3,7..9,11');
  assert.is(ranges([0, 2, 4]), '0,2,4');
});

test.run();
