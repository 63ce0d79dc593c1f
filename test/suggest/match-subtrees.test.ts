import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matchSubtrees, type ShapedKey } from '../../src/suggest/match-subtrees.ts';
import { coveringPrefixes, dimensionsThatDiffer } from '../../src/suggest/residual-rules.ts';
import { wrapperRules } from '../../src/suggest/wrapper-rules.ts';
import { printStatement } from '../../grammar/index.ts';

const keys = (list: Array<[string, number[]]>): ShapedKey[] => list.map(([k, shape]) => ({ segments: k.split('.'), shape }));
const encoder = (name: string, width = 8): Array<[string, number[]]> => [[`enc.${name}.conv.weight`, [width, 3]], [`enc.${name}.conv.bias`, [width]], [`enc.${name}.fc.weight`, [4, width]]];
const pairs = (source: ShapedKey[], target: ShapedKey[]) => matchSubtrees(source, target).map((m) => [m.from, m.to, m.kind, m.alternatives]);

test('three identical encoders pair in order; each names the others as alternatives', () => {
  const source = keys([...encoder('a'), ...encoder('b'), ...encoder('c')]);
  const target = keys([...encoder('x'), ...encoder('y'), ...encoder('z')]);
  assert.equal(pairs(source, target), [
    ['a', 'x', 'exact', ['y', 'z']],
    ['b', 'y', 'exact', ['x', 'z']],
    ['c', 'z', 'exact', ['x', 'y']],
  ]);
});

test('structure, not spelling: differently shaped encoders pair with their own kind whatever the names say', () => {
  const source = keys([...encoder('wide_cam', 16), ...encoder('narrow_cam', 8)]);
  const target = keys([...encoder('narrow', 8), ...encoder('wide', 16)]);
  assert.equal(pairs(source, target), [
    ['wide_cam', 'wide', 'exact', []],
    ['narrow_cam', 'narrow', 'exact', []],
  ]);
});

test('a partial match needs most tensors to carry over; a lone leaf of a unique shape is renamed', () => {
  const source = keys([...encoder('a'), ['enc.a.norm.gamma', [8]], ['other.p', [2, 2]], ['other.q', [5]]]);
  const target = keys([...encoder('b', 8).slice(0, 2), ['enc.b.fc.weight', [4, 99]], ['enc.b.norm.weight', [8]], ['else.r', [7]], ['else.s', [6]]]);
  // a -> b shares 3 of 4 relative keys, 2 of 4 tensors with the same shape: not enough; other/else share no keys.
  assert.equal(pairs(source, target), []);
  const leaf = matchSubtrees(keys([['m.gamma', [8]], ['m.bias', [8, 2]]]), keys([['m.weight', [8]], ['m.bias', [8, 2]]]));
  assert.equal(leaf.map((m) => [m.parent, m.from, m.to]), [[['m'], 'gamma', 'weight']]);
});

test('wrapper rules: strip a root wrapper on the source, add a nested one the target has', () => {
  const { rules, keys: after } = wrapperRules([['module', 'policy', 'enc', 'w'], ['module', 'policy', 'head', 'w']], [['policy', 'enc', '_orig_mod', 'w'], ['policy', 'head', 'w']]);
  assert.equal(rules.map((r) => printStatement(r.statement)), ['module.** -> **', 'policy.enc.** -> policy.enc._orig_mod.**']);
  assert.equal(after, [['policy', 'enc', '_orig_mod', 'w'], ['policy', 'head', 'w']]);
});

test('coveringPrefixes: a fully chosen subtree becomes prefix.**, a lone key stays itself', () => {
  const universe = ['a.x.w', 'a.x.b', 'a.y.w', 'c.w'];
  assert.equal(coveringPrefixes(['a.x.w', 'a.x.b', 'c.w'], universe), [
    { segments: ['a', 'x', '**'], count: 2 },
    { segments: ['c', 'w'], count: 1 },
  ]);
  assert.equal(coveringPrefixes([], universe), []);
});

test('dimensionsThatDiffer names each differing dimension, or the ranks', () => {
  assert.is(dimensionsThatDiffer([16, 10, 5], [16, 7, 5]), 'dimension 1 differs (10 vs 7)');
  assert.is(dimensionsThatDiffer([10, 4], [7, 3]), 'dimension 0 differs (10 vs 7), dimension 1 differs (4 vs 3)');
  assert.is(dimensionsThatDiffer([4], [4, 1]), 'rank 1 vs 2');
});

test.run();
