import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { getAtPath, isDict, isTensor, pyDict } from '../../src/checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import { tensorFromArray } from '../../src/checkpoint/tensor-from-array.ts';
import type { PyValue } from '../../src/checkpoint/types.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { InputError } from '../../src/input-error.ts';
import { PROVENANCE_KEY } from '../../src/plan/apply-plan.ts';
import { runApply } from '../../src/plan/run-apply.ts';
import { renderVerify } from '../../src/verify/render-verify.ts';
import { runVerify } from '../../src/verify/run-verify.ts';
import type { VerifyReport, VerifyRow } from '../../src/verify/verify-report.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const DROID = `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`;
const LIBERO = `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`;
const TINY_REMAP = 'remaps/droid-to-libero-tiny.remap';
const ENCODER = 'policy.obs_encoder.module.nets.obs.obs_nets.agentview_rgb.';
/** One conv of the agentview encoder under both of its state-dict names (VisualCore registers the trunk twice). */
const CONV = ['backbone.nets.4.0.conv1.weight', 'nets.0.nets.4.0.conv1.weight'].map((k) => ENCODER + k);

const dir = mkdtempSync(join(tmpdir(), 'surgery-verify-'));
const applied = join(dir, 'libero_start.pth');

async function apply(remap: string | null, output: string, source = DROID): Promise<void> {
  const outcome = await runApply({ source, remaps: remap ? [remap] : [], target: LIBERO, mode: 'strict', fill: true, output, format: 'json', colour: false });
  assert.is(outcome.exitCode, 0, outcome.stdout + outcome.stderr);
}

/** Returns the JSON report and exit code of verifying `output` against its source (default: DROID). */
async function verify(output: string, extra: { obs?: string; source?: string } = {}): Promise<{ report: VerifyReport; exitCode: number }> {
  const outcome = await runVerify({ source: DROID, output, backend: 'wasm', format: 'json', colour: false, ...extra });
  return { report: JSON.parse(outcome.stdout) as VerifyReport, exitCode: outcome.exitCode };
}

function row(report: VerifyReport, stateDict: string, submodule: string): VerifyRow {
  const found = report.sections.find((s) => s.stateDict === stateDict)?.rows.find((r) => r.submodule === submodule);
  assert.ok(found, `no row ${stateDict} / ${submodule}`);
  return found;
}

/** Rewrites a checkpoint with `edit` applied to its tree (through our own torch zip writer). */
async function rewrite(from: string, to: string, edit: (root: PyValue) => Promise<PyValue>): Promise<void> {
  const ck = await openCheckpoint(from);
  await writeCheckpoint(to, await edit(ck.root), { format: 'torch-zip' });
}

test.before(async () => {
  await apply(TINY_REMAP, applied);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the tiny DROID → LIBERO surgery: both encoders identical to their renamed sources, reinitialised tensors listed, exit 0', async () => {
  const { report, exitCode } = await verify(applied);
  assert.is(exitCode, 0);
  assert.is(report.pairing.by, 'provenance');
  assert.is(report.probe.file, null);
  for (const dict of ['model.nets', 'model.ema']) {
    const agentview = row(report, dict, 'encoder agentview_rgb');
    assert.is(agentview.sourceName, 'camera/image/varied_camera_1_left_image');
    assert.is(row(report, dict, 'encoder eye_in_hand_rgb').sourceName, 'camera/image/varied_camera_2_left_image');
    for (const name of ['encoder agentview_rgb', 'encoder eye_in_hand_rgb']) {
      const r = row(report, dict, name);
      assert.equal([r.claim, r.maxAbsDiff, r.verdict], ['copied', 0, 'identical'], `${dict} ${name}`);
    }
    const unet = row(report, dict, 'unet');
    assert.is(unet.claim, 'partly reinitialised');
    assert.equal(unet.notCopied.map((k) => `${k.status} ${k.key}`), ['reinit down_modules.0.0.blocks.0.block.0.weight', 'reinit down_modules.0.0.residual_conv.weight', 'reinit final_conv.1.weight', 'reinit final_conv.1.bias']);
    assert.is(unet.notRun, 'action dimension differs (10 vs 7)');
    assert.equal(row(report, dict, 'combine').notCopied, [{ key: '0.weight', count: 1, status: 'assembled' }]);
  }
  assert.is(report.failures, 0);
  assert.equal(report.notes.filter((n) => n.startsWith("The output's provenance")), []);
  assert.match(renderVerify(report, 'text', true), '\x1b[32midentical');
  assert.not.match(renderVerify(report, 'text', false), '\x1b[');
});

test('verifying against another source than the provenance names: the report says so, and the renamed encoders find no source', async () => {
  const { report } = await verify(applied, { source: LIBERO });
  assert.ok(report.notes.some((n) => n.startsWith(`The output's provenance says it was made from "${DROID}"`)), report.notes.join('\n'));
  const agentview = row(report, 'model.nets', 'encoder agentview_rgb');
  assert.equal([agentview.claim, agentview.source, agentview.verdict], ['copied', null, 'not run']);
  assert.match(renderVerify(report, 'text'), /^surgery verify: no submodule claimed copied differs, but 4 could not be run\n/);
  const unclaimed = { ...report, sections: report.sections.map((sec) => ({ ...sec, rows: sec.rows.map((r) => ({ ...r, claim: 'unclaimed' as const })) })) };
  assert.match(renderVerify(unclaimed, 'text'), /^surgery verify: no submodule is claimed copied\n/);
});

test('a remap that reinitialises one encoder conv: that encoder is partly reinitialised and its output changes; the other stays identical', async () => {
  const remap = join(dir, 'reinit-conv.remap');
  // The shipped remap pins "loaded == 100% in policy.obs_encoder.**" and where reinit may happen; this one breaks those on purpose.
  const shipped = readFileSync(TINY_REMAP, 'utf8').split('\n').filter((l) => !/^expect (reinit|loaded == 100%)/.test(l));
  writeFileSync(remap, [...shipped, ...CONV.map((k) => `reinit ${k}`), ''].join('\n'));
  const output = join(dir, 'reinit-conv.pth');
  await apply(remap, output);
  const { report, exitCode } = await verify(output);
  assert.is(exitCode, 0);
  const agentview = row(report, 'model.nets', 'encoder agentview_rgb');
  assert.is(agentview.claim, 'partly reinitialised');
  assert.equal(agentview.notCopied.map((k) => `${k.status} ${k.key}`), ['reinit backbone.nets.4.0.conv1.weight', 'reinit nets.0.nets.4.0.conv1.weight']);
  assert.is(agentview.verdict, 'changed');
  assert.ok(agentview.maxAbsDiff! > 1e-3, `max abs diff ${agentview.maxAbsDiff}`);
  assert.is(row(report, 'model.nets', 'encoder eye_in_hand_rgb').maxAbsDiff, 0);
});

test('a tensor of a copied encoder corrupted after apply: its outputs differ although the provenance claims a copy → exit 1', async () => {
  const corrupted = join(dir, 'corrupted.pth');
  await rewrite(applied, corrupted, async (root) => {
    const nets = getAtPath(root, ['model', 'nets']);
    assert.ok(isDict(nets));
    const original = nets.entries.get(CONV[0]!);
    assert.ok(isTensor(original));
    const data = await readTensorAsFloat32(original);
    data[0]! += 0.5;
    // One new tensor under both names, so the encoder's two views of the conv stay one tensor.
    const replaced = tensorFromArray(data, original.shape);
    for (const key of CONV) nets.entries.set(key, replaced);
    return root;
  });
  const { report, exitCode } = await verify(corrupted);
  assert.is(exitCode, 1);
  assert.is(report.failures, 1);
  const agentview = row(report, 'model.nets', 'encoder agentview_rgb');
  assert.equal([agentview.claim, agentview.verdict], ['copied', 'differs']);
  assert.ok(agentview.maxAbsDiff! > 0);
  assert.is(row(report, 'model.ema', 'encoder agentview_rgb').verdict, 'identical');
  const md = renderVerify(report, 'md');
  assert.match(md, '## surgery verify: ❌ 1 submodule claimed copied differs');
  assert.match(md, '| ❌ | `encoder agentview_rgb` | `camera/image/varied_camera_1_left_image` | copied | max abs diff ');
});

test('--obs with a real observation batch from the parity files, under the output keys or the source keys', async () => {
  for (const [parity, keys] of [
    ['fork_libero_tiny.parity.pth', ['agentview_rgb', 'eye_in_hand_rgb']],
    ['fork_droid_tiny.parity.pth', ['camera/image/varied_camera_1_left_image', 'camera/image/varied_camera_2_left_image']],
  ] as const) {
    const obs = join(dir, `obs-${parity}`);
    await rewrite(REFERENCE_DIR + parity, obs, async (root) => {
      const raw = getAtPath(root, ['eval', 'obs_raw']);
      assert.ok(isDict(raw));
      return pyDict(keys.map((k): [string, PyValue] => [k, raw.entries.get(k)!]));
    });
    const { report, exitCode } = await verify(applied, { obs });
    assert.is(exitCode, 0, parity);
    assert.equal(report.probe, { file: obs, rows: 4 });
    assert.is(row(report, 'model.ema', 'encoder eye_in_hand_rgb').maxAbsDiff, 0, parity);
  }
});

test('a surgery that keeps the UNet (LIBERO onto itself): the UNet runs on the fixed noisy action and is identical too', async () => {
  const output = join(dir, 'libero-copy.pth');
  await apply(null, output, LIBERO);
  const { report, exitCode } = await verify(output, { source: LIBERO });
  assert.is(exitCode, 0);
  const unet = row(report, 'model.ema', 'unet');
  assert.equal([unet.claim, unet.notRun, unet.maxAbsDiff, unet.verdict], ['copied', '', 0, 'identical']);
  assert.equal(report.sections.flatMap((s) => s.rows.map((r) => r.claim)), Array(8).fill('copied'));
});

test('without provenance: encoders are paired by identical weights and the report says so', async () => {
  const bare = join(dir, 'bare.pth');
  await rewrite(applied, bare, async (root) => {
    assert.ok(isDict(root));
    root.entries.delete(PROVENANCE_KEY);
    return root;
  });
  const { report, exitCode } = await verify(bare);
  assert.is(exitCode, 0);
  assert.is(report.pairing.by, 'weights');
  assert.match(report.pairing.note, 'has no surgery provenance');
  const agentview = row(report, 'model.nets', 'encoder agentview_rgb');
  assert.equal([agentview.pairedBy, agentview.maxAbsDiff], ['identical weights', 0]);
  assert.equal([row(report, 'model.nets', 'unet').source, row(report, 'model.nets', 'unet').claim], [null, 'unclaimed']);
});

test('unreadable inputs throw an InputError naming the file (exit 3)', async () => {
  for (const [output, code] of [
    [join(dir, 'nope.pth'), null],
    [`${REFERENCE_DIR}fork_libero_tiny.parity.pth`, 'load/no-config'],
  ] as const) {
    try {
      await verify(output);
      assert.unreachable(`verify ${output} succeeded`);
    } catch (error) {
      assert.instance(error, InputError);
      assert.ok((error as InputError).message.includes(output), (error as Error).message);
      if (code) assert.is((error as InputError).code, code);
    }
  }
  const obs = join(dir, 'no-images.pth');
  await writeCheckpoint(obs, pyDict({ ee_pos: tensorFromArray([0, 0, 0], [1, 3]) }), { format: 'torch-zip' });
  try {
    await verify(applied, { obs });
    assert.unreachable('verify with an obs file without images succeeded');
  } catch (error) {
    assert.is((error as InputError).code, 'obs/missing-key');
    assert.match((error as Error).message, 'has no image "agentview_rgb" or "camera/image/varied_camera_1_left_image"');
  }
});

test.run();
