import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRemap } from '../../grammar/index.ts';
import { policyConfigOf } from '../../src/model/load-policy.ts';
import { loadSchema } from '../../src/plan/load-schema.ts';
import type { ModelSchema } from '../../src/plan/model-schema.ts';
import type { Plan } from '../../src/plan/plan-types.ts';
import { resolvePlan } from '../../src/plan/resolve-plan.ts';
import { draftRemap, type Draft } from '../../src/suggest/draft-remap.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-suggest-'));
const torchTest = hasTorch ? test : test.skip;
const COMBINE = 'policy.obs_encoder.module.combine.0.weight';

const schemas = new Map<string, ModelSchema>();
async function schema(path: string): Promise<ModelSchema> {
  if (!schemas.has(path)) schemas.set(path, await loadSchema(path));
  return schemas.get(path)!;
}

/** Drafts source -> target with the robomimic configs the checkpoints carry. */
async function suggest(source: string, target: string): Promise<Draft> {
  const [s, t] = [await schema(source), await schema(target)];
  const config = (m: ModelSchema) => (m.checkpoint ? policyConfigOf(m.checkpoint).config : null);
  return draftRemap({ source: s, target: t, sourceConfig: config(s), targetConfig: config(t), file: 'draft.remap' });
}

async function planOf(remap: string, source: string, target: string): Promise<Plan> {
  const text = readFileSync(remap, 'utf8');
  return resolvePlan({ source: await schema(source), target: await schema(target), remaps: [{ file: remap, text, ast: analyzeRemap(text, remap).file }], mode: 'strict', fill: false });
}

const transferred = (plan: Plan, dict: string) => plan.stateDicts.find((d) => d.name === dict)!.rows.filter((r) => ['loaded', 'renamed', 'assembled'].includes(r.status));
const blocksOf = (plan: Plan, dict = 'model.nets') => plan.stateDicts.find((d) => d.name === dict)!.rows.find((r) => r.key === COMBINE)!.blocks.map((b) => [b.targetBox, b.sourceBox]);

/** Asserts the draft is ok and that re-planning its text from scratch is strict-clean with every expectation met. */
function assertClean(draft: Draft): Plan {
  assert.ok(draft.ok, `${draft.diagnostics.map((d) => d.message).join('\n')}\n${draft.text}`);
  const plan = draft.plan!;
  assert.ok(plan.verdict.strict.ok);
  assert.ok(plan.expectations.length >= 5 && plan.expectations.every((e) => e.passed));
  return plan;
}

test('DROID -> LIBERO (tiny): plans clean, transfers at least what the hand-written remap does, same combine blocks', async () => {
  const [source, target] = [`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`];
  const draft = await suggest(source, target);
  const plan = assertClean(draft);
  const hand = await planOf('remaps/droid-to-libero-tiny.remap', source, target);
  for (const dict of ['model.nets', 'model.ema']) {
    const mine = new Set(transferred(plan, dict).map((r) => r.key));
    const theirs = transferred(hand, dict).map((r) => r.key);
    assert.is(theirs.length, 394);
    assert.ok(theirs.every((k) => mine.has(k)), `lost: ${theirs.filter((k) => !mine.has(k)).join(', ')}`);
    assert.equal(blocksOf(plan, dict), blocksOf(hand, dict));
  }
  assert.equal(blocksOf(plan), [[[[0, 128], [0, 64]], [[0, 128], [7, 71]]], [[[0, 128], [70, 134]], [[0, 128], [71, 135]]]]);
  assert.match(draft.text, 'camera/image/varied_camera_1_left_image -> agentview_rgb');
  assert.match(draft.text, 'reinit policy.obs_encoder.module.combine.0.weight with zeros');
  assert.match(draft.text, /dimension 1 differs \(10 vs 7\)/);
});

test('DROID -> LIBERO (tiny): the tied cameras are marked as a guess naming the alternative; every rule has a comment', async () => {
  const draft = await suggest(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`);
  const lines = draft.text.split('\n');
  const at = lines.indexOf('camera/image/varied_camera_1_left_image -> agentview_rgb');
  const start = at - 1 - lines.slice(0, at).reverse().findIndex((l) => l.startsWith('# guess:'));
  const comment = lines.slice(start, at).map((l) => l.replace(/^#\s*/, '')).join(' ');
  assert.ok(start < at && comment.includes('The alternative is "camera/image/varied_camera_1_left_image" -> "eye_in_hand_rgb"'), comment);
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#') || line === 'version 1') return;
    assert.ok(lines[i - 1]!.startsWith('#'), `no comment above line ${i + 1}: ${line}`);
  });
  assert.ok(draft.plan!.expectations.length > 0);
});

test('the expect lines catch a later edit that loses a transfer', async () => {
  const [source, target] = [`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`];
  const draft = await suggest(source, target);
  // Giving up on the second camera in a way strict loading accepts: drop its source encoder, start the target's fresh.
  const edited = draft.text.replace(
    'camera/image/varied_camera_2_left_image -> eye_in_hand_rgb\n',
    'drop policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_2_left_image.**\nreinit policy.obs_encoder.module.nets.obs.obs_nets.eye_in_hand_rgb.**\n',
  );
  assert.is.not(edited, draft.text);
  const remap = join(dir, 'edited.remap');
  writeFileSync(remap, edited);
  const plan = await planOf(remap, source, target);
  const failed = plan.expectations.filter((e) => !e.passed).map((e) => plan.rules[e.rule]!.ref.text);
  assert.equal(failed, ['expect loaded >= 394', 'expect reinit <= 4', 'expect loaded >= 99.9% params']);
  assert.is(plan.ok, false);
});

test('LIBERO -> DROID (tiny, reverse): renames and combine blocks the other way', async () => {
  const draft = await suggest(`${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`);
  const plan = assertClean(draft);
  assert.match(draft.text, 'agentview_rgb -> camera/image/varied_camera_1_left_image');
  assert.equal(blocksOf(plan), [[[[0, 128], [7, 71]], [[0, 128], [0, 64]]], [[[0, 128], [71, 135]], [[0, 128], [70, 134]]]]);
});

test('fork DROID -> upstream LIBERO: strips the one-sided .module wrappers, keeps the ResNet trunks, drops the fork-only combine', async () => {
  const draft = await suggest(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, `${REFERENCE_DIR}upstream_libero_tiny.ckpt.pth`);
  const plan = assertClean(draft);
  assert.match(draft.text, 'policy.obs_encoder.module.** -> policy.obs_encoder.**');
  assert.match(draft.text, 'policy.noise_pred_net.module.** -> policy.noise_pred_net.**');
  assert.match(draft.text, 'drop policy.obs_encoder.combine.**');
  const rows = plan.stateDicts[0]!.rows;
  const trunk = rows.filter((r) => r.key.includes('.agentview_rgb.backbone.'));
  assert.ok(trunk.length > 0 && trunk.every((r) => r.status === 'renamed'));
});

test('upstream LIBERO -> fork LIBERO: adds the .module wrappers the target has', async () => {
  const draft = await suggest(`${REFERENCE_DIR}upstream_libero_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`);
  assertClean(draft);
  assert.match(draft.text, 'policy.obs_encoder.** -> policy.obs_encoder.module.**');
});

torchTest('a torch.compile-wrapped target with a renamed camera (made by real PyTorch): wrapper added, blocks follow its metadata', async () => {
  const wrapped = join(dir, 'libero_compiled_front_cam.pth');
  runPython(
    `
import sys, torch
from collections import OrderedDict
ck = torch.load(sys.argv[1], map_location='cpu')
rename = lambda k: k.replace('agentview_rgb', 'front_cam')
for name in ('nets', 'ema'):
    ck['model'][name] = OrderedDict(('_orig_mod.' + rename(k), v) for k, v in ck['model'][name].items())
meta = ck['shape_metadata']
meta['all_shapes'] = OrderedDict(sorted((rename(k), v) for k, v in meta['all_shapes'].items()))
meta['all_obs_keys'] = sorted(rename(k) for k in meta['all_obs_keys'])
ck['config'] = rename(ck['config'])
torch.save(ck, sys.argv[2])
`,
    [`${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`, wrapped],
  );
  const draft = await suggest(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, wrapped);
  const plan = assertClean(draft);
  assert.match(draft.text, '** -> _orig_mod.**');
  assert.match(draft.text, 'camera/image/varied_camera_1_left_image -> front_cam');
  // Sorted LIBERO keys: ee_ori 0:3, ee_pos 3:6, eye_in_hand_rgb 6:70, front_cam 70:134, gripper_states 134:136.
  const blocks = plan.stateDicts[0]!.rows.find((r) => r.key === `_orig_mod.${COMBINE}`)!.blocks.map((b) => [b.targetBox[1], b.sourceBox[1]]);
  assert.equal(blocks, [[[6, 70], [71, 135]], [[70, 134], [7, 71]]]);
  // LIBERO -> the same with the camera renamed and re-sorted: the low-dim keys keep their names and move too.
  const libero = assertClean(await suggest(`${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`, wrapped));
  const moved = libero.stateDicts[0]!.rows.find((r) => r.key === `_orig_mod.${COMBINE}`)!.blocks.map((b) => [b.targetBox[1], b.sourceBox[1]]);
  assert.equal(moved, [[[0, 3], [64, 67]], [[3, 6], [67, 70]], [[6, 70], [70, 134]], [[70, 134], [0, 64]], [[134, 136], [134, 136]]]);
  const back = await suggest(wrapped, `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`);
  assertClean(back);
  assert.match(back.text, '_orig_mod.** -> **');
});

test('full-size manifests (no metadata): plans clean, the fusion layer falls back to reinit and says so', async () => {
  for (const [source, target] of [
    [`${REFERENCE_DIR}full_size/droid_nets.tsv`, `${REFERENCE_DIR}full_size/libero_nets.tsv`],
    ['examples/code-review/manifests/libero-fork-full.tsv', 'examples/code-review/manifests/droid-fork-full.tsv'],
    [`${REFERENCE_DIR}full_size/droid_nets.tsv`, `${REFERENCE_DIR}full_size/libero_upstream_nets.tsv`],
  ]) {
    const draft = await suggest(source!, target!);
    assertClean(draft);
    if (!target!.includes('upstream')) {
      assert.match(draft.text, `reinit ${COMBINE}\n`);
      assert.match(draft.text, 'without robomimic metadata');
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
