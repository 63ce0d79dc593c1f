/**
 * `surgery predict`: real observation and noise files (written by torch from the parity data) give
 * robomimic's trajectory and actions; unnormalised actions follow action_normalization_stats; bad
 * input names the key and the shape it needs; `--backend webgpu` gives robomimic's trajectories too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { getAtPath, isTensor } from '../../src/checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import { InputError } from '../../src/input-error.ts';
import { predict, type Prediction } from '../../src/model/predict.ts';
import { createCli } from '../../src/cli/create-cli.ts';
import { UsageError } from '../../src/usage-error.ts';
import { selectBackend } from '../../src/model/backend.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { hasWebGpu } from '../support/webgpu.ts';
import { assertAbsClose, Reference, TRAJECTORY_ABS } from './reference.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-predict-'));
const NAMES = ['fork_droid_tiny', 'upstream_libero_tiny'] as const;
const inputs = (name: string) => ({ obs: join(dir, `${name}.obs.pth`), noise: join(dir, `${name}.noise.pth`) });
const badObs = join(dir, 'bad.obs.pth');
const results = new Map<string, Prediction>();
const webgpuTest = hasWebGpu ? test : test.skip;

test.before(() => {
  if (!hasTorch) return;
  // One interpreter start writes every input: eval.obs_raw and the recorded sampling noise.
  runPython(
    `
import sys, torch
ref, out = sys.argv[1], sys.argv[2]
for name in sys.argv[3:]:
    p = torch.load(f'{ref}{name}.parity.pth')
    torch.save(dict(p['eval']['obs_raw']), f'{out}/{name}.obs.pth')
    s = p['eval']['ema']['sampling']
    torch.save({k: s[k] for k in ('initial_noise', 'per_step_variance_noise') if k in s}, f'{out}/{name}.noise.pth')
    if name == 'fork_droid_tiny':
        o = dict(p['eval']['obs_raw'])
        o['robot_state/gripper_position'] = o['robot_state/gripper_position'][:, :1]
        torch.save(o, f'{out}/bad.obs.pth')`,
    [REFERENCE_DIR, dir, ...NAMES],
  );
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

if (hasTorch) {
  for (const name of NAMES) {
    // One run per fixture; the fork's writes .json, upstream's .pth.
    const ext = name === 'fork_droid_tiny' ? 'json' : 'pth';
    test(`${name}: trajectory and actions equal robomimic's; the .${ext} output holds all three arrays`, async () => {
      const out = join(dir, `${name}.out.${ext}`);
      const p = await predict({ checkpoint: `${REFERENCE_DIR}${name}.ckpt.pth`, ...inputs(name), out, seed: 0, backend: 'wasm' });
      results.set(name, p);
      const ref = await Reference.open(`${name}.parity.pth`);
      await assertAbsClose(p.trajectory.data, await ref.tensor(['eval', 'ema', 'sampling', 'trajectory']), TRAJECTORY_ABS, 'trajectory');
      await assertAbsClose(p.actions.data, await ref.tensor(['eval', 'ema', 'sampling', 'actions_Ta']), TRAJECTORY_ABS, 'actions');
      if (ext === 'json') {
        const parsed = JSON.parse(readFileSync(out, 'utf8'));
        assert.equal([parsed.trajectory.length, parsed.trajectory[0].length, parsed.actions_unnormalized[1][7].length], [2, 16, 10]);
        assert.ok(Math.abs(parsed.actions[1][7][0] - p.actions.data[(1 * 8 + 7) * 10]!) < 1e-6);
        return;
      }
      const written = await openCheckpoint(out);
      const shapes = Object.fromEntries([...(written.root as { entries: Map<string, unknown> }).entries].map(([k, v]) => [k, isTensor(v as never) ? (v as { shape: number[] }).shape : null]));
      assert.equal(shapes, { trajectory: p.trajectory.shape, actions: p.actions.shape, actions_unnormalized: p.actions.shape });
    });
  }

  test('fork_droid_tiny: actions_unnormalized = scale·a + offset per action key (sample 0 = the rollout record)', async () => {
    const p = results.get('fork_droid_tiny')!;
    const ref = await Reference.open('fork_droid_tiny.parity.pth');
    const byKey = 'unnormalized_by_key (a*scale+offset), all Ta actions';
    const parts = await Promise.all(['action/abs_pos', 'action/abs_rot_6d', 'action/gripper_position'].map((k) => ref.tensor(['rollout', byKey, k])));
    // The rollout ran sample 0 alone; interleave its per-key columns back into [Ta, 10].
    const want = new Float32Array(8 * 10);
    for (let t = 0; t < 8; t++) {
      let c = 0;
      for (const part of parts) for (let j = 0; j < part.shape[1]!; j++) want[t * 10 + c++] = part.data[t * part.shape[1]! + j]!;
    }
    await assertAbsClose(p.actionsUnnormalized.data.slice(0, 80), { shape: [80], data: want }, TRAJECTORY_ABS, 'unnormalized sample 0');
  });

  webgpuTest('CLI: `surgery predict --backend webgpu` gives robomimic\'s trajectories for both fixtures (DDIM 10, DDPM 100 steps)', async () => {
    for (const name of NAMES) {
      const out = join(dir, `${name}.webgpu.pth`);
      const { obs, noise } = inputs(name);
      const printed = console.log;
      console.log = () => undefined;
      try {
        await createCli(['predict', `${REFERENCE_DIR}${name}.ckpt.pth`, '--obs', obs, '--noise', noise, '--out', out, '--backend', 'webgpu']).parseAsync();
      } finally {
        console.log = printed;
        await selectBackend('wasm');
      }
      const written = await openCheckpoint(out);
      const ref = await Reference.open(`${name}.parity.pth`);
      for (const [key, path] of [['trajectory', 'trajectory'], ['actions', 'actions_Ta']] as const) {
        const t = getAtPath(written.root, [key]);
        assert.ok(isTensor(t));
        await assertAbsClose(await readTensorAsFloat32(t), await ref.tensor(['eval', 'ema', 'sampling', path]), TRAJECTORY_ABS, `${name} webgpu ${key}`);
      }
    }
  });

  test('a wrong observation shape is an InputError naming the key and the shape needed', async () => {
    try {
      await predict({ checkpoint: `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, obs: badObs, seed: 0, backend: 'wasm' });
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, InputError);
      assert.is((error as InputError).code, 'obs/bad-shape');
      assert.match((error as Error).message, /"robot_state\/gripper_position" has shape \[2, 1, 1\], but the policy needs \[B, 2, 1\]/);
    }
  });
  test('--out naming --obs, as a .pth or through a .json symlink, is refused and the observations are untouched', async () => {
    const { obs, noise } = inputs('fork_droid_tiny');
    const before = readFileSync(obs);
    const link = join(dir, 'obs-link.json');
    symlinkSync(obs, link);
    for (const out of [obs, link]) {
      try {
        await predict({ checkpoint: `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, obs, noise, out, seed: 0, backend: 'wasm' });
        assert.unreachable('should refuse');
      } catch (error) {
        assert.instance(error, InputError);
        assert.is((error as InputError).code, 'output/overwrites-input', out);
      }
    }
    assert.ok(readFileSync(obs).equals(before));
  });
  test('CLI: `surgery predict` prints the unnormalised actions as JSON', async () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      const { obs, noise } = inputs('fork_droid_tiny');
      await createCli(['predict', `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, '--obs', obs, '--noise', noise, '--backend', 'wasm']).parseAsync();
    } finally {
      console.log = log;
    }
    const parsed = JSON.parse(printed.at(-1)!);
    assert.equal(parsed.shape, [2, 8, 10]);
    const want = results.get('fork_droid_tiny')!.actionsUnnormalized.data;
    assert.ok(parsed.actions_unnormalized.every((v: number, i: number) => Math.abs(v - want[i]!) < 1e-6));
  });
} else {
  test.skip('predict against robomimic (needs /usr/bin/python3 with torch to write the inputs)', () => {});
}

test('CLI: `surgery init` rejects a malformed --obs-dim before writing anything', async () => {
  const out = join(dir, 'never.pth');
  try {
    await createCli(['init', '--config', `${REFERENCE_DIR}fork_droid_tiny.config.json`, '--out', out, '--obs-dim', 'ee_pos=three']).parseAsync();
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, UsageError);
    assert.match((error as Error).message, /--obs-dim "ee_pos=three" must look like KEY=N/);
  }
  assert.not.ok(existsSync(out));
});

test.run();
