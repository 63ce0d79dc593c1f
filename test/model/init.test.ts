/**
 * `surgery init`: a fresh robomimic-layout checkpoint from a config — keys, order, aliases and the
 * EMA copy as robomimic writes them, PyTorch's initialisers, read back by our reader, by our model
 * loader, and by real torch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import type { StateDictEntry } from '../../src/checkpoint/types.ts';
import { selectBackend } from '../../src/model/backend.ts';
import { initCheckpoint } from '../../src/model/init-checkpoint.ts';
import { loadPolicy } from '../../src/model/load-policy.ts';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { initialValues } from '../../src/model/init-weights.ts';
import { policySchema } from '../../src/model/schema.ts';
import { createRng } from '../../src/train/rng.ts';
import { disposePolicy } from '../../src/model/policy.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from './reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-init-'));
const out = join(dir, 'init.pth');
const P = 'policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_1_left_image.';
const U = 'policy.noise_pred_net.module.';

test.after(() => rmSync(dir, { recursive: true, force: true }));

const sd = (entries: StateDictEntry[], name: string) => entries.find((s) => s.name === name)!;

test('writes robomimic layout: keys/order/aliases of the real checkpoint, EMA a separate equal copy', async () => {
  const result = await initCheckpoint({ configPath: `${REFERENCE_DIR}fork_droid_tiny.config.json`, out, seed: 7 });
  assert.ok(result.warnings.some((w) => w.includes('identity')));
  const ckpt = await openCheckpoint(out);
  const real = await openCheckpoint(`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`);
  const nets = sd(ckpt.stateDicts, 'model.nets');
  const ema = sd(ckpt.stateDicts, 'model.ema');
  assert.equal([...nets.tensors.keys()], [...sd(real.stateDicts, 'model.nets').tensors.keys()]);
  assert.equal([...ema.tensors.keys()], [...nets.tensors.keys()]);
  // The config records the UNet widths, so those shapes equal the real checkpoint's.
  for (const [key, t] of sd(real.stateDicts, 'model.nets').tensors) {
    if (key.startsWith(U) && !key.includes('cond_encoder.1.weight')) assert.equal(nets.tensors.get(key)!.shape, t.shape, key);
  }
  // FiLM inputs: step embedding 32 + global_cond 2 × 512 (the hard-coded combine output).
  assert.equal(nets.tensors.get(`${U}mid_modules.0.cond_encoder.1.weight`)!.shape, [128, 32 + 2 * 512]);
  // ResNet and combine widths are hard-coded in robomimic: torchvision's 64-wide stem, combine 1024/512/512.
  assert.equal(nets.tensors.get(`${P}backbone.nets.0.weight`)!.shape, [64, 3, 7, 7]);
  assert.equal(nets.tensors.get('policy.obs_encoder.module.combine.0.weight')!.shape, [1024, 135]);
  const cam2 = `${P.replace('camera_1', 'camera_2')}nets.0.nets.0.weight`;
  assert.ok(nets.tensors.get(cam2)!.storage === nets.tensors.get(`${P}backbone.nets.0.weight`)!.storage, 'shared camera core aliases');
  const key = `${U}final_conv.1.weight`;
  assert.ok(nets.tensors.get(key)!.storage !== ema.tensors.get(key)!.storage, 'EMA has its own storage');
  assert.equal(Array.from(await readTensorAsFloat32(ema.tensors.get(key)!)), Array.from(await readTensorAsFloat32(nets.tensors.get(key)!)));
  const root = ckpt.root as { entries: Map<string, unknown> };
  assert.equal([...root.entries.keys()], ['model', 'config', 'algo_name', 'env_metadata', 'shape_metadata', 'action_normalization_stats']);
});

test('PyTorch initialisers: kaiming_uniform(a=√5) bounds, fan-in bias bounds, GroupNorm 1/0, torchvision ResNet convs', async () => {
  const nets = sd((await openCheckpoint(out)).stateDicts, 'model.nets');
  const values = async (k: string) => readTensorAsFloat32(nets.tensors.get(k)!);
  const w = await values(`${U}down_modules.0.0.blocks.0.block.0.weight`); // [16, 10, 5]: fan_in 50
  const bound = 1 / Math.sqrt(50);
  assert.ok(w.every((v) => Math.abs(v) <= bound) && w.some((v) => Math.abs(v) > 0.9 * bound));
  const b = await values(`${U}down_modules.0.0.blocks.0.block.0.bias`);
  assert.ok(b.every((v) => Math.abs(v) <= bound) && b.some((v) => v !== 0));
  assert.ok((await values(`${U}down_modules.0.0.blocks.0.block.1.weight`)).every((v) => v === 1));
  assert.ok((await values(`${U}down_modules.0.0.blocks.0.block.1.bias`)).every((v) => v === 0));
  const conv = await values(`${P}backbone.nets.4.0.conv1.weight`); // [64, 64, 3, 3]: fan_out 576
  const std = Math.sqrt(conv.reduce((s, v) => s + v * v, 0) / conv.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 576) - 1) < 0.03, `std ${std}`);
});

test('the same seed gives the same weights, another seed others; SpatialSoftmax buffers are its pixel grid', () => {
  const { config } = validatePolicyConfig(readFileSync(`${REFERENCE_DIR}upstream_libero_tiny.config.json`, 'utf8'), 'c.json', { acDim: 7 });
  const schema = policySchema(config);
  const param = schema.byKey.get('policy.noise_pred_net.final_conv.1.weight')!;
  const draw = (seed: number) => Array.from(initialValues(schema, createRng(seed))(param));
  assert.equal(draw(7), draw(7));
  assert.not.equal(draw(7), draw(8));
  const posX = schema.byKey.get('policy.obs_encoder.nets.obs.obs_nets.agentview_rgb.pool.pos_x')!;
  assert.equal(Array.from(initialValues(schema, createRng(7))(posX)).slice(0, 4), [-1, -1 / 3, 1 / 3, 1].map(Math.fround));
});

test('our model loader builds the policy back from the written checkpoint', async () => {
  await selectBackend('wasm');
  const { policy } = await loadPolicy(out);
  assert.is(policy.config.code, 'fork');
  assert.equal(policy.config.rgb.planes, [64, 128, 256, 512]);
  assert.ok(policy.ema !== null);
  disposePolicy(policy);
});

if (hasTorch) {
  test('real torch loads it: same keys as the reference checkpoint, aliases share storage, EMA apart', () => {
    const script = `
import sys, torch
c = torch.load(sys.argv[1]); r = torch.load(sys.argv[2])
n, e = c['model']['nets'], c['model']['ema']
assert list(n) == list(r['model']['nets'])
a = 'policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_1_left_image.backbone.nets.0.weight'
b = 'policy.obs_encoder.module.nets.obs.obs_nets.camera/image/varied_camera_2_left_image.nets.0.nets.0.weight'
assert n[a].data_ptr() == n[b].data_ptr() and n[a].data_ptr() != e[a].data_ptr() and torch.equal(n[a], e[a])
assert c['algo_name'] == 'diffusion_policy' and c['shape_metadata']['ac_dim'] == 10
print('ok')`;
    assert.is(runPython(script, [out, `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`]).trim(), 'ok');
  });
} else {
  test.skip('real torch loads it (needs /usr/bin/python3 with torch)', () => {});
}

test.run();
