import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/model/backend.ts';
import { loadPolicy } from '../../src/model/load-policy.ts';
import { disposePolicy } from '../../src/model/policy.ts';
import { runTraining, TrainingDivergedError, type TrainOptions } from '../../src/train/run-training.ts';
import { validateTrainConfig } from '../../src/train/train-config.ts';
import { InputError } from '../../src/input-error.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { tinyConfigJson, writeTinyRun } from './tiny-run.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-run-training-'));

function options(run: { configPath: string; dataPath: string; initPath: string }, out: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { config: run.configPath, data: [run.dataPath], init: run.initPath, load: 'strict', out: join(dir, out), epochs: 1, stepsPerEpoch: 2, backend: 'wasm', resume: false, prefetch: false, log: () => undefined, progress: null, ...extra };
}

/** Per parameter key: its values, from a checkpoint's model.nets or model.ema. */
async function weights(path: string, set: 'nets' | 'ema'): Promise<Map<string, Float32Array>> {
  const { policy } = await loadPolicy(path);
  const w = set === 'nets' ? policy.nets : policy.ema!;
  const out = new Map(policy.schema.params.map((p) => [p.keys[0]!, new Float32Array(w.tensors[p.id]!.dataSync())]));
  disposePolicy(policy);
  return out;
}

const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i]);

test('freeze and lr hints: frozen parameters keep their values (and EMA copies them), lr x0 freezes too', async () => {
  await selectBackend('wasm');
  const run = await writeTinyRun(join(dir, '.'));
  const remap = join(dir, 'hints.remap');
  writeFileSync(remap, 'freeze policy.obs_encoder.** for 5 steps\nlr x0 policy.noise_pred_net.module.final_conv.**\n');
  const lines: string[] = [];
  await runTraining(options(run, 'hints', { remap, log: (l) => lines.push(l) }));
  assert.ok(lines.some((l) => /^hint: freeze policy\.obs_encoder\.\*\* for 5 steps \(\d+ parameters\)$/.test(l)), lines.join('\n'));
  const before = await weights(run.initPath, 'nets');
  const after = await weights(join(dir, 'hints', 'last.pth'), 'nets');
  const ema = await weights(join(dir, 'hints', 'last.pth'), 'ema');
  for (const [key, value] of after) {
    if (key.startsWith('policy.obs_encoder.')) {
      assert.ok(same(value, before.get(key)!), `${key} is frozen`);
      assert.ok(same(ema.get(key)!, value), `${key}: EMA copies a frozen parameter`);
    } else if (key.includes('final_conv')) {
      assert.ok(same(value, before.get(key)!), `${key} has lr x0`);
    }
  }
  assert.ok([...after].some(([key, value]) => key.includes('down_modules') && !same(value, before.get(key)!)), 'the rest trains');
  if (hasTorch) {
    // The hints travel in the checkpoint, so --resume applies them again.
    const recorded = JSON.parse(runPython('import torch, sys, json; print(json.dumps(torch.load(sys.argv[1])["variable_state"]["surgery"]["hints"]))', [join(dir, 'hints', 'last.pth')]));
    assert.equal(recorded, [{ kind: 'freeze', pattern: 'policy.obs_encoder.**', steps: 5 }, { kind: 'lr', pattern: 'policy.noise_pred_net.module.final_conv.**', factor: 0 }]);
  }
});

// h5py (next to torch in the system Python) poisons the file.
(hasTorch ? test : test.skip)('a NaN loss stops training naming the step, the batch demos and the missing checkpoint', async () => {
  const run = await writeTinyRun(join(dir, '.'));
  runPython(`
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    f['data/demo_0/obs/ee_pos'][3] = float('nan')
`, [run.dataPath]);
  try {
    await runTraining(options(run, 'nan', { stepsPerEpoch: 1 }));
    assert.unreachable('training should stop');
  } catch (error) {
    assert.instance(error, TrainingDivergedError);
    const message = (error as Error).message;
    assert.match(message, 'the loss is NaN at step 1 (epoch 1); nothing was updated in that step.');
    assert.match(message, /The batch came from demo_0 \(t=\d\)/);
    assert.match(message, 'No checkpoint was written yet.');
  }
});

test('several crops and colour samples per image train in either randomizer order', async () => {
  await selectBackend('wasm');
  const run = await writeTinyRun(join(dir, '.'));
  const crop = { crop_height: 28, crop_width: 28, num_crops: 2, pos_enc: false };
  const color = { brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.3, num_samples: 2 };
  for (const [name, classes, kwargs] of [
    ['crop-then-color', ['CropRandomizer', 'ColorRandomizer'], [crop, color]],
    ['color-then-crop', ['ColorRandomizer', 'CropRandomizer'], [color, crop]],
  ] as const) {
    const json = tinyConfigJson();
    json.observation.encoder.rgb.obs_randomizer_class = classes;
    json.observation.encoder.rgb.obs_randomizer_kwargs = kwargs;
    const configPath = join(dir, `${name}.json`);
    writeFileSync(configPath, JSON.stringify(json));
    const losses: number[] = [];
    await runTraining(options({ ...run, configPath }, name, { stepsPerEpoch: 1, onStep: (_, loss) => losses.push(loss) }));
    assert.is(losses.length, 1, name);
    assert.ok(Number.isFinite(losses[0]), `${name}: loss ${losses[0]}`);
  }
});

test('config validation names the JSON path; flags override the config', () => {
  const json = tinyConfigJson();
  const config = validateTrainConfig(json, 'c.json', { epochs: 7, batchSize: 3, data: ['a.hdf5', 'b.hdf5'] });
  assert.is(config.epochs, 7);
  assert.is(config.batchSize, 3);
  assert.equal(config.sources.map((s) => s.path), ['a.hdf5', 'b.hdf5']);
  assert.equal(config.schedule, { kind: 'constant' });
  const upstream = validateTrainConfig(JSON.parse(readFileSync(join(REFERENCE_DIR, 'upstream_libero_tiny.config.json'), 'utf8')), 'u.json');
  assert.equal(upstream.optimizer, { kind: 'adamw', betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-6 });
  assert.equal(upstream.schedule, { kind: 'cosine', warmupSteps: 500, trainingSteps: 0, numCycles: 0.5 });
  assert.is(upstream.stepsPerEpoch, 100);
  const broken = structuredClone(json);
  broken.train.action_config.actions.normalization = 'minmax';
  try {
    validateTrainConfig(broken, 'c.json');
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as Error).message, 'c.json: "train.action_config.actions.normalization" is "minmax"; expected null, "min_max" or "gaussian".');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
