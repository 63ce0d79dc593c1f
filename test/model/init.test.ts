/**
 * `surgery init`: PyTorch's initialisers and robomimic's layout (aliases, separate EMA copy) checked
 * in memory on the DROID config, and a written checkpoint (a low-dim-only variant, to keep the file
 * small) read back by our reader, by our model loader, and by real torch.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { getAtPath, isDict } from '../../src/checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import type { PyDict, Tensor } from '../../src/checkpoint/types.ts';
import { InputError } from '../../src/input-error.ts';
import { selectBackend } from '../../src/model/backend.ts';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { initCheckpoint, robomimicTree } from '../../src/model/init-checkpoint.ts';
import { initialValues } from '../../src/model/init-weights.ts';
import { loadPolicy } from '../../src/model/load-policy.ts';
import { disposePolicy } from '../../src/model/policy.ts';
import { policySchema } from '../../src/model/schema.ts';
import { createRng } from '../../src/random/rng.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-init-'));
const P = 'policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_1_left_image.';
const U = 'policy.noise_pred_net.module.';
const droidText = readFileSync(`${REFERENCE_DIR}fork_droid_tiny.config.json`, 'utf8');
const droid = validatePolicyConfig(droidText, 'c.json').config;
const schema = policySchema(droid);
const values = initialValues(schema, createRng(7));
const valueOf = (key: string) => values(schema.byKey.get(key)!);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('PyTorch initialisers: kaiming_uniform(a=√5) and fan-in bias bounds, GroupNorm 1/0, torchvision ResNet convs', () => {
  const w = valueOf(`${U}down_modules.0.0.blocks.0.block.0.weight`); // [16, 10, 5]: fan_in 50
  const bound = 1 / Math.sqrt(50);
  assert.ok(w.every((v) => Math.abs(v) <= bound) && w.some((v) => Math.abs(v) > 0.9 * bound));
  const b = valueOf(`${U}down_modules.0.0.blocks.0.block.0.bias`);
  assert.ok(b.every((v) => Math.abs(v) <= bound) && b.some((v) => v !== 0));
  const t = valueOf(`${U}up_modules.0.2.conv.weight`); // ConvTranspose1d [32, 32, 4]: fan_in = dim 1 · k = 128
  assert.ok(t.every((v) => Math.abs(v) <= 1 / Math.sqrt(128)) && t.some((v) => Math.abs(v) > 0.9 / Math.sqrt(128)));
  assert.ok(valueOf(`${U}down_modules.0.0.blocks.0.block.1.weight`).every((v) => v === 1));
  assert.ok(valueOf(`${U}down_modules.0.0.blocks.0.block.1.bias`).every((v) => v === 0));
  const conv = valueOf(`${P}backbone.nets.4.0.conv1.weight`); // [64, 64, 3, 3]: kaiming_normal fan_out 576
  const std = Math.sqrt(conv.reduce((s, v) => s + v * v, 0) / conv.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 576) - 1) < 0.03, `std ${std}`);
});

test('the same seed gives the same weights, another seed others', () => {
  const param = schema.byKey.get(`${U}final_conv.1.weight`)!;
  const draw = (seed: number) => Array.from(initialValues(schema, createRng(seed))(param));
  assert.equal(draw(7), draw(7));
  assert.not.equal(draw(7), draw(8));
});

test("layout: the real checkpoint's keys in order, shared camera core aliased, EMA a separate equal copy", async () => {
  const real = await openCheckpoint(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`);
  const tree = robomimicTree(droid, droidText, schema, (id) => values(schema.params[id]!)) as PyDict;
  assert.equal([...tree.entries.keys()], ['model', 'config', 'algo_name', 'env_metadata', 'shape_metadata', 'action_normalization_stats']);
  const nets = (getAtPath(tree, ['model', 'nets']) as PyDict).entries as Map<string, Tensor>;
  const ema = (getAtPath(tree, ['model', 'ema']) as PyDict).entries as Map<string, Tensor>;
  assert.equal([...nets.keys()], [...real.stateDicts.find((s) => s.name === 'model.nets')!.tensors.keys()]);
  assert.equal([...ema.keys()], [...nets.keys()]);
  const cam2 = `${P.replace('camera_1', 'camera_2')}nets.0.nets.0.weight`;
  assert.ok(nets.get(cam2)!.storage === nets.get(`${P}backbone.nets.0.weight`)!.storage, 'shared camera core aliases');
  const key = `${U}final_conv.1.weight`;
  assert.ok(nets.get(key)!.storage !== ema.get(key)!.storage, 'EMA has its own storage');
  assert.equal(Array.from(await readTensorAsFloat32(ema.get(key)!)), Array.from(await readTensorAsFloat32(nets.get(key)!)));
  // Hard-coded robomimic widths where the config records none: torchvision's stem, combine 1024/512/512.
  assert.equal(nets.get(`${P}backbone.nets.0.weight`)!.shape, [64, 3, 7, 7]);
  assert.equal(nets.get(`${U}mid_modules.0.cond_encoder.1.weight`)!.shape, [128, 32 + 2 * 512]);
  const stats = getAtPath(tree, ['action_normalization_stats']);
  assert.ok(isDict(stats));
  assert.equal([...stats.entries.keys()], ['action/abs_pos', 'action/abs_rot_6d', 'action/gripper_position']);
});

test('--out naming the config is refused and the config is untouched', async () => {
  const configPath = join(dir, 'own.json');
  writeFileSync(configPath, droidText);
  try {
    await initCheckpoint({ configPath, out: configPath, seed: 3 });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'output/overwrites-input');
  }
  assert.is(readFileSync(configPath, 'utf8'), droidText);
});

test('a written checkpoint reads back through our reader, our loader and real torch', async () => {
  const lowDim = JSON.parse(droidText);
  lowDim.observation.modalities.obs.rgb = [];
  const configPath = join(dir, 'low-dim.json');
  writeFileSync(configPath, JSON.stringify(lowDim));
  const out = join(dir, 'init.pth');
  const result = await initCheckpoint({ configPath, out, seed: 3 });
  assert.ok(result.warnings.some((w) => w.includes('identity')));
  const ckpt = await openCheckpoint(out);
  const nets = ckpt.stateDicts.find((s) => s.name === 'model.nets')!;
  assert.equal([...nets.tensors.keys()], policySchema(result.config).entries.map((e) => e.key));
  await selectBackend('wasm');
  const { policy } = await loadPolicy(out);
  assert.equal(policy.config.obsKeys.map((k) => k.key), ['robot_state/cartesian_position', 'robot_state/gripper_position']);
  assert.ok(policy.ema !== null);
  disposePolicy(policy);
  if (!hasTorch) return;
  const script = `
import sys, torch
c = torch.load(sys.argv[1])
n, e = c['model']['nets'], c['model']['ema']
k = 'policy.noise_pred_net.module.final_conv.1.weight'
assert list(n) == list(e) and n[k].data_ptr() != e[k].data_ptr() and torch.equal(n[k], e[k])
assert c['algo_name'] == 'diffusion_policy' and c['shape_metadata']['ac_dim'] == 10
print(len(n))`;
  assert.is(Number(runPython(script, [out]).trim()), nets.tensors.size);
});

test.run();
