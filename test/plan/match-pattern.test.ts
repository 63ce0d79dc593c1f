import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KeyPattern, RenameStatement } from '../../grammar/index.ts';
import { compilePattern, compileSegment, formatPattern, renameSegments, substitute } from '../../src/plan/match-pattern.ts';
import { remap } from './plan-helpers.ts';

function pattern(text: string): KeyPattern {
  const statement = remap(`drop ${text}`).ast.statements[0] as { pattern: KeyPattern };
  return statement.pattern;
}

function rename(text: string): RenameStatement {
  return remap(text).ast.statements[0] as RenameStatement;
}

const cases: Array<[string, string, boolean]> = [
  ['a.**.b', 'a.b', true],
  ['a.**.b', 'a.x.b', true],
  ['a.**.b', 'a.x.y.b', true],
  ['a.**.b', 'a.xb', false],
  ['a.**', 'a', true],
  ['a.**', 'a.x.y', true],
  ['a.**', 'ab', false],
  ['**.weight', 'weight', true],
  ['**.weight', 'x.y.weight', true],
  ['**.weight', 'x.y.weights', false],
  ['**', 'anything.at.all', true],
  ['policy.*.weight', 'policy.conv.weight', true],
  ['policy.*.weight', 'policy.a.b.weight', false],
  ['conv*.weight', 'conv12.weight', true],
  ['conv*.weight', 'xconv12.weight', false],
  ['**.lang_fixed/**', 'policy.lang_fixed/w.0.weight', true],
  ['**.lang_fixed/**', 'policy.lang_fixed.weight', false],
  ['final_conv.1.*', 'final_conv.1.bias', true],
  ['final_conv.1.*', 'final_conv.10.bias', false],
];

for (const [p, key, expected] of cases) {
  test(`"${p}" ${expected ? 'matches' : 'does not match'} "${key}"`, () => {
    assert.is(compilePattern(pattern(p)).match(key) !== null, expected);
  });
}

test('key rename fills ** on the right from ** on the left, dropping an empty globstar', () => {
  const r = rename('policy.noise_pred_net.module.** -> policy.noise_pred_net.**');
  const from = compilePattern(r.from);
  assert.is(substitute(r.to, from.match('policy.noise_pred_net.module.final_conv.1.bias')!), 'policy.noise_pred_net.final_conv.1.bias');
  assert.is(substitute(r.to, from.match('policy.noise_pred_net.module')!), 'policy.noise_pred_net');
});

test('named captures are filled by name, anonymous ones by position', () => {
  const r = rename('enc.{cam}.{layer:**}.w* -> {cam}_encoder.{layer}.w*');
  const captures = compilePattern(r.from).match('enc.left.a.b.weight')!;
  assert.is(substitute(r.to, captures), 'left_encoder.a.b.weight');
});

test('segment rename replaces every matching segment and leaves others alone', () => {
  const r = rename('camera/image/varied_camera_1_left_image -> agentview_rgb');
  assert.is(r.scope, 'segment');
  const from = compileSegment(r.from.segments[0]!);
  assert.is(renameSegments('obs_nets.camera/image/varied_camera_1_left_image.backbone.0.weight', from, r.to.segments[0]!), 'obs_nets.agentview_rgb.backbone.0.weight');
  assert.is(renameSegments('obs_nets.camera/image/varied_camera_1_left_image_x.weight', from, r.to.segments[0]!), null);
});

test('segment rename with a wildcard carries the matched text', () => {
  const r = rename('cam_* -> camera_*');
  const from = compileSegment(r.from.segments[0]!);
  assert.is(renameSegments('a.cam_left.b.cam_right', from, r.to.segments[0]!), 'a.camera_left.b.camera_right');
});

test('regex metacharacters in literal segments match literally', () => {
  assert.ok(compilePattern(pattern('"a+b".x')).match('a+b.x'));
  assert.not.ok(compilePattern(pattern('"a+b".x')).match('aab.x'));
});

test('formatPattern writes the pattern back', () => {
  assert.is(formatPattern(pattern('policy.**.conv*.{name}.weight')), 'policy.**.conv*.{name}.weight');
});

test.run();
