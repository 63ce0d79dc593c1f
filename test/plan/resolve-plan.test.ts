import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifest, plan, problems, referenceTsv, remap } from './plan-helpers.ts';

const CAMERAS = `in model.nets, model.ema
camera/image/varied_camera_1_left_image -> agentview_rgb
camera/image/varied_camera_2_left_image -> eye_in_hand_rgb
`;

test('full-size DROID → LIBERO schemas: exactly the 5 real size mismatches, in both state dicts, reported once', () => {
  const p = plan(referenceTsv('droid_nets'), referenceTsv('libero_nets'), [remap(CAMERAS)]);
  const mismatches = p.diagnostics.filter((d) => d.code === 'load/size-mismatch');
  assert.equal(
    mismatches.map((d) => /"([^"]+)"/.exec(d.message)![1]).sort(),
    [
      'policy.noise_pred_net.module.down_modules.0.0.blocks.0.block.0.weight',
      'policy.noise_pred_net.module.down_modules.0.0.residual_conv.weight',
      'policy.noise_pred_net.module.final_conv.1.bias',
      'policy.noise_pred_net.module.final_conv.1.weight',
      'policy.obs_encoder.module.combine.0.weight',
    ],
  );
  assert.is(p.diagnostics.length, 5);
  assert.ok(mismatches[0]!.message.includes('[1024, 1031] from checkpoint, the shape in current model is [1024, 1032]'));
  assert.equal(p.stateDicts.map((d) => d.name), ['model.nets', 'model.ema']);
  assert.equal(p.verdict, { strict: { ok: false, errors: 5 }, loose: { ok: false, errors: 5 } });
});

test('full-size: reinit and column assembly resolve all 5; the plan is ready in strict mode', () => {
  const text = `${CAMERAS}
reinit policy.noise_pred_net.module.final_conv.1.*
reinit policy.noise_pred_net.module.down_modules.0.0.blocks.0.block.0.weight
reinit policy.noise_pred_net.module.down_modules.0.0.residual_conv.weight
policy.obs_encoder.module.combine.0.weight[:, 0:512] <- [:, 7:519]
policy.obs_encoder.module.combine.0.weight[:, 518:1030] <- [:, 519:1031]
expect reinit within policy.noise_pred_net.**
expect loaded >= 99% params
expect unexpected == 0
`;
  const p = plan(referenceTsv('droid_nets'), referenceTsv('libero_nets'), [remap(text)]);
  assert.equal(problems(p), []);
  assert.ok(p.ok);
  const rows = p.stateDicts[0]!.rows;
  const combine = rows.find((r) => r.key === 'policy.obs_encoder.module.combine.0.weight')!;
  assert.is(combine.status, 'assembled');
  assert.equal(combine.blocks.map((b) => [b.targetBox, b.sourceBox]), [
    [[[0, 1024], [0, 512]], [[0, 1024], [7, 519]]],
    [[[0, 1024], [518, 1030]], [[0, 1024], [519, 1031]]],
  ]);
  assert.is(rows.filter((r) => r.status === 'reinit').length, 4);
  assert.ok(p.expectations.every((e) => e.passed));
});

test('plan on the full-size schemas takes well under 0.5 s', () => {
  const source = referenceTsv('droid_nets');
  const target = referenceTsv('libero_nets');
  const start = performance.now();
  plan(source, target, [remap(CAMERAS)]);
  const ms = performance.now() - start;
  assert.ok(ms < 500, `${ms} ms`);
});

const SRC = manifest({ 'model.nets': { 'enc.a.weight': [4, 3], 'enc.b.weight': [4, 3], 'head.weight': [10, 4], 'head.bias': [10], 'lang.emb': [5] } }, 'src.json');
const TGT = manifest({ 'model.nets': { 'enc.a.weight': [4, 3], 'enc.b.weight': [4, 3], 'head.weight': [7, 4], 'head.bias': [7], 'extra.weight': [2, 2] } }, 'tgt.json');

test('strict: missing and unexpected are errors; loose: warnings, but a size mismatch is still fatal', () => {
  const strict = plan(SRC, TGT, []);
  assert.equal(problems(strict), [
    'error load/size-mismatch: Size mismatch for "head.weight": copying a param with shape [10, 4] from checkpoint, the shape in current model is [7, 4].',
    'error load/size-mismatch: Size mismatch for "head.bias": copying a param with shape [10] from checkpoint, the shape in current model is [7].',
    'error load/missing: Missing key "extra.weight": no source key provides it.',
    'error load/unexpected: Unexpected key "lang.emb": the target has no such key.',
  ]);
  const loose = plan(SRC, TGT, [], { mode: 'loose' });
  assert.equal(loose.diagnostics.map((d) => d.severity), ['error', 'error', 'warning', 'warning']);
  assert.equal(loose.verdict, { strict: { ok: false, errors: 4 }, loose: { ok: false, errors: 2 } });
  assert.not.ok(loose.ok);
});

test('on mismatch reinit, allow and drop make it load; the deciding rule is recorded per row', () => {
  const p = plan(SRC, TGT, [remap('on mismatch reinit\ndrop lang.*\nallow missing extra.**\n')]);
  assert.equal(problems(p), []);
  const byKey = new Map(p.stateDicts[0]!.rows.map((r) => [r.key, r]));
  assert.is(byKey.get('head.weight')!.status, 'reinit');
  assert.is(byKey.get('head.weight')!.rule, 0);
  assert.is(byKey.get('lang.emb')!.status, 'dropped');
  assert.is(byKey.get('extra.weight')!.status, 'filled');
  assert.ok(byKey.get('extra.weight')!.allowed);
  assert.equal(p.verdict.strict, { ok: true, errors: 0 });
});

test('two source keys landing on one target key is an error naming both rules', () => {
  const text = 'enc.a.weight -> enc.x.weight\nenc.b.weight -> enc.x.weight\n';
  const p = plan(SRC, null, [remap(text)]);
  const collision = p.diagnostics.find((d) => d.code === 'remap/collision')!;
  assert.is(collision.message, 'Source keys "enc.a.weight" and "enc.b.weight" both map to "enc.x.weight".');
  assert.equal(collision.spans.map((s) => text.slice(s.start, s.end)), ['enc.a.weight -> enc.x.weight', 'enc.b.weight -> enc.x.weight']);
});

test('a rule that matches nothing is an error with a did-you-mean from real keys, pointing at the pattern', () => {
  const text = 'drop lang.emd\nhaed -> head\n';
  const p = plan(SRC, null, [remap(text)]);
  assert.equal(problems(p), [
    'error remap/no-match: Pattern "lang.emd" matches no key. Did you mean "lang.emb"?',
    'error remap/no-match: Pattern "haed" matches no key. Did you mean "head"?',
  ]);
  const span = p.diagnostics[0]!.spans[0]!;
  assert.is(text.slice(span.start, span.end), 'lang.emd');
});

test('an optional rule that matches nothing is an info diagnostic and a note on the rule; the plan stays ok', () => {
  const text = 'optional drop lang.emd\noptional **._orig_mod.** -> **.**\nhead.* -> out.*\n';
  const p = plan(SRC, null, [remap(text)]);
  assert.equal(problems(p), [
    'info remap/no-match: Pattern "lang.emd" matches no key (the rule is optional). Did you mean "lang.emb"?',
    'info remap/no-match: Pattern "**._orig_mod.**" matches no key (the rule is optional).',
  ]);
  assert.equal(p.verdict, { strict: { ok: true, errors: 0 }, loose: { ok: true, errors: 0 } });
  assert.equal(p.rules.map((r) => [r.warnings, r.notes]), [[[], ['optional, matches nothing']], [[], ['optional, matches nothing']], [[], []]]);
  const span = p.diagnostics[1]!.spans[0]!;
  assert.is(text.slice(span.start, span.end), '**._orig_mod.**');
  // Without 'optional' the same rules fail the plan, and the hint names the way out.
  const plain = plan(SRC, null, [remap(text.replaceAll('optional ', ''))]);
  assert.equal(problems(plain).map((m) => m.split(':')[0]), ['error remap/no-match', 'error remap/no-match']);
  assert.equal(plain.verdict.strict, { ok: false, errors: 2 });
  assert.match(plain.diagnostics[0]!.hint!, 'write "optional" before it');
});

// Every statement kind that may be optional: matching nothing is info when optional, an error otherwise.
const KEY_RULES = ['nope.** -> x.**', 'nope -> x', 'drop nope', 'reinit nope', 'nope.w[0:1] <- [0:1]', 'nope.w <- source other.w', 'allow missing nope', 'allow unexpected nope', 'freeze nope', 'lr x2 nope', 'cast nope to float16'];
for (const rule of KEY_RULES) {
  test(`"optional ${rule}" matching nothing passes in strict mode; "${rule}" fails`, () => {
    const optional = plan(SRC, TGT, [remap(`on mismatch reinit\ndrop lang.*\nallow missing extra.**\noptional ${rule}\n`)]);
    assert.equal(optional.diagnostics.map((d) => `${d.severity} ${d.code}`), ['info remap/no-match']);
    assert.ok(optional.ok);
    const plain = plan(SRC, TGT, [remap(`on mismatch reinit\ndrop lang.*\nallow missing extra.**\n${rule}\n`)]);
    assert.equal(plain.diagnostics.map((d) => `${d.severity} ${d.code}`), ['error remap/no-match']);
    assert.not.ok(plain.ok);
  });
}

test('an optional rule that matches behaves exactly like the plain rule', () => {
  const optional = plan(SRC, TGT, [remap('on mismatch reinit\noptional drop lang.*\noptional allow missing extra.**\n')]);
  const plain = plan(SRC, TGT, [remap('on mismatch reinit\ndrop lang.*\nallow missing extra.**\n')]);
  assert.equal(problems(optional), []);
  assert.equal(optional.stateDicts, plain.stateDicts);
  assert.equal(optional.rules.map((r) => [...r.matches.values(), ...r.notes]), [[2], [1], [1]]);
});

test('an "in" naming a state dict that does not exist is an error listing the real ones', () => {
  const p = plan(SRC, null, [remap('in model.net\ndrop lang.emb\n')]);
  assert.ok(problems(p).includes('error remap/no-match: State dict "model.net" is not in "src.json" (it has "model.nets"). Did you mean "model.nets"?'), problems(p).join('\n'));
});

test('slice assignment errors: wrong block extents and out-of-range slices name the key', () => {
  const text = 'head.weight[0:7, :] <- [0:6, :]\nhead.bias[0:9] <- [0:9]\n';
  const p = plan(SRC, TGT, [remap(text)], { mode: 'loose' });
  assert.equal(problems(p).filter((m) => m.includes('remap/bad-slice')), [
    'error remap/bad-slice: Slice assignment to "head.weight": the target block [:, :] is [7, 4] but the source block [0:6, :] of "head.weight" is [6, 4].',
    'error remap/bad-slice: Slice assignment to "head.bias": target range 0:9 is outside dimension 0 of size 7 (tensor [7]).',
  ]);
});

test('expectations are evaluated per state dict and failures fail the plan', () => {
  const p = plan(SRC, TGT, [remap('on mismatch reinit\ndrop lang.*\nallow missing extra.**\nexpect loaded >= 90% params\nexpect reinit within enc.**\n')]);
  assert.equal(p.expectations.map((e) => [e.passed, [...e.measured.values()]]), [
    [false, ['38.1%']],
    [false, ['2 outside, e.g. "head.weight"']],
  ]);
  assert.equal(p.diagnostics.map((d) => d.code), ['expect/failed', 'expect/failed']);
  assert.not.ok(p.ok);
});

test('dtype mismatch names the cast that fixes it; cast fixes it', () => {
  const src = manifest({ sd: { w: [[2], 'float16'] } });
  const tgt = manifest({ sd: { w: [[2], 'float32'] } });
  const p = plan(src, tgt, []);
  assert.equal(problems(p), ['error load/dtype-mismatch: Dtype mismatch for "w": the checkpoint has float16, the model expects float32.']);
  assert.is(p.diagnostics[0]!.hint, 'Add "cast w to float32" (or a pattern covering it).');
  const fixed = plan(src, tgt, [remap('cast w to float32\n')]);
  assert.equal(problems(fixed), []);
  assert.is(fixed.stateDicts[0]!.rows[0]!.cast, 'float32');
});

test('several remap files apply in order, each with its own "in" scope', () => {
  const two = manifest({ 'model.nets': { 'module.a': [1] }, 'model.ema': { 'module.a': [1] } });
  const first = remap('module.** -> **\n', 'strip.remap');
  const second = remap('in model.ema\na -> b\n', 'ema.remap');
  const p = plan(two, null, [first, second]);
  assert.equal(problems(p), []);
  assert.equal(p.stateDicts.map((d) => [d.name, d.rows.map((r) => r.key)]), [['model.nets', ['a']], ['model.ema', ['b']]]);
  assert.equal(p.rules.map((r) => `${r.file}:${r.ref.line}`), ['strip.remap:1', 'ema.remap:1', 'ema.remap:2']);
});

test('without a target, rules alone rewrite keys and nothing is load-checked', () => {
  const p = plan(SRC, null, [remap('head.* -> out.*\n')]);
  assert.ok(p.ok);
  assert.equal(p.stateDicts[0]!.rows.map((r) => `${r.key}:${r.status}`), ['enc.a.weight:loaded', 'enc.b.weight:loaded', 'out.weight:renamed', 'out.bias:renamed', 'lang.emb:loaded']);
  assert.not.ok(p.stateDicts[0]!.checked);
});

test('init "target" needs a target checkpoint: against a manifest it is an error at the rule', () => {
  const text = 'reinit head.* with target\n';
  const p = plan(SRC, TGT, [remap(text)], { mode: 'loose' });
  const found = p.diagnostics.filter((d) => d.code === 'remap/init-needs-target');
  assert.equal(found.map((d) => d.message), ['Init "target" for "head.weight" needs a target checkpoint with values.', 'Init "target" for "head.bias" needs a target checkpoint with values.']);
  assert.is(text.slice(found[0]!.spans[0]!.start, found[0]!.spans[0]!.end), 'reinit head.* with target');
});

test.run();
