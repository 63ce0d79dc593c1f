import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collapseKeys } from '../../src/report/collapse-keys.ts';
import { moduleOf } from '../../src/report/report-model.ts';

const item = (key: string, signature = 's') => ({ key, signature, value: key });

test('runs that differ in one index collapse to {a..b}; nested runs collapse level by level', () => {
  const keys = ['down.0.0.w', 'down.0.1.w', 'down.1.0.w', 'down.1.1.w', 'down.2.0.w', 'down.2.1.w'];
  assert.equal(collapseKeys(keys.map((k) => item(k))).map((c) => [c.key, c.count]), [['down.{0..2}.{0..1}.w', 6]]);
});

test('different signatures never merge; gaps print as a list', () => {
  const out = collapseKeys([item('a.0.w'), item('a.1.w', 'other'), item('a.2.w'), item('a.5.w')]);
  assert.equal(out.map((c) => [c.key, c.count]), [['a.{0,2,5}.w', 3], ['a.1.w', 1]]);
});

test('keys without indices pass through in order', () => {
  assert.equal(collapseKeys([item('x.w'), item('x.b')]).map((c) => c.key), ['x.w', 'x.b']);
});

test('moduleOf groups by the path before the first index', () => {
  assert.is(moduleOf('policy.noise_pred_net.module.down_modules.0.0.blocks.0.block.0.weight'), 'policy.noise_pred_net.module.down_modules');
  assert.is(moduleOf('policy.obs_encoder.module.combine.0.weight'), 'policy.obs_encoder.module.combine');
  assert.is(moduleOf('head.weight'), 'head');
  assert.is(moduleOf('weight'), 'weight');
});

test.run();
