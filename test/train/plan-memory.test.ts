import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/model/backend.ts';
import { validatePolicyConfig, type PolicyConfig } from '../../src/model/config.ts';
import { policySchema } from '../../src/model/schema.ts';
import { createWeights } from '../../src/model/weights.ts';
import { initialValues } from '../../src/model/init-weights.ts';
import { buildPolicy, disposePolicy } from '../../src/model/policy.ts';
import { writeSyntheticLibero } from '../../src/data/write-synthetic-libero.ts';
import { createRng } from '../../src/random/rng.ts';
import { initialTrainerState, trainStep } from '../../src/train/train-step.ts';
import { runTraining } from '../../src/train/run-training.ts';
import { checkStepMemory, describeStepMemory, planStepMemory, BUDGET_SHARE, WASM_HEAP_MAX_BYTES } from '../../src/train/plan-memory.ts';
import { InputError } from '../../src/input-error.ts';
import { numelOf } from '../../src/checkpoint/py-value.ts';
import { REFERENCE_DIR } from '../support/reference.ts';
import { syntheticBatch } from '../support/synthetic-batch.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const REFERENCE = `${REFERENCE_DIR}full_size/`;
const FULL_LIBERO = join(ROOT, 'examples/droid-to-libero/configs/full-size/libero.json');
const dir = mkdtempSync(join(tmpdir(), 'surgery-plan-memory-'));

function fullSize(path: string): PolicyConfig {
  return validatePolicyConfig(readFileSync(path, 'utf8'), path).config;
}

/** Key → shape of a real robomimic key manifest (`key<TAB>AxB<TAB>dtype`). */
function manifest(name: string): Map<string, number[]> {
  const lines = readFileSync(join(REFERENCE, name), 'utf8').trim().split('\n');
  return new Map(lines.map((line) => line.split('\t')).map(([key, shape]) => [key!, shape!.split('x').map(Number)]));
}

for (const [config, tsv] of [['libero.json', 'libero_nets.tsv'], ['droid_rlds.json', 'droid_nets.tsv']] as const) {
  test(`the state the plan counts for full-size ${config} is the real network's (${tsv}), each shared tensor once`, () => {
    const cfg = fullSize(join(ROOT, 'examples/droid-to-libero/configs/full-size', config));
    const schema = policySchema(cfg);
    const real = manifest(tsv);
    assert.equal([...real.keys()].sort(), schema.entries.map((e) => e.key).sort());
    // Aliases (a VisualCore's `backbone.*` and `nets.0.*`, DROID's shared camera core) are one storage in torch.
    let distinct = 0;
    let trainable = 0;
    for (const param of schema.params) {
      const shapes = param.keys.map((k) => real.get(k)!.join('x'));
      assert.equal(new Set(shapes).size, 1, `${param.keys[0]} and its aliases have one shape`);
      const n = numelOf(real.get(param.keys[0]!)!);
      distinct += n;
      if (param.trainable) trainable += n;
    }
    const plan = planStepMemory(cfg, schema, 2);
    assert.is(plan.weights, 4 * distinct);
    assert.is(plan.ema, 4 * distinct);
    assert.is(plan.adamMoments, 8 * trainable);
    assert.is(plan.gradients, 4 * trainable);
    assert.is(plan.total, plan.weights + plan.ema + plan.adamMoments + plan.gradients + plan.activations);
  });
}

test('activations grow linearly with the batch', () => {
  const cfg = fullSize(FULL_LIBERO);
  const schema = policySchema(cfg);
  const [a1, a2, a8] = [1, 2, 8].map((b) => planStepMemory(cfg, schema, b).activations);
  assert.ok(Math.abs(a2 - 2 * a1) <= 2 && Math.abs(a8 - 8 * a1) <= 8, `${a1} ${a2} ${a8}`);
});

/** The full-size LIBERO config with a narrow ResNet50 and UNet on 64×64 images: its step runs in seconds. */
function narrowResnet50(): PolicyConfig {
  const json = JSON.parse(readFileSync(FULL_LIBERO, 'utf8'));
  json.observation.encoder.rgb.obs_randomizer_kwargs[1] = { crop_height: 58, crop_width: 58, num_crops: 1, pos_enc: false };
  const shapes = new Map<string, number[]>([['ee_pos', [3]], ['ee_ori', [3]], ['gripper_states', [2]], ['agentview_rgb', [3, 64, 64]], ['eye_in_hand_rgb', [3, 64, 64]]]);
  const config = structuredClone(validatePolicyConfig(json, FULL_LIBERO, { acDim: 7, allShapes: shapes }).config);
  config.rgb.stem = 16;
  config.rgb.planes = [16, 32, 64, 128];
  config.rgb.featureDim = 64;
  config.combine = { hidden: [128, 128], out: 128 };
  config.unet = { ...config.unet, stepEmbedDim: 64, downDims: [64, 128, 256] };
  return config;
}

for (const [B, microBatch] of [[2, undefined], [4, 2]] as const) {
  const step = microBatch ? `batch ${B} in micro-batches of ${microBatch}` : `batch ${B}`;
  test(`the estimate is within 25% of the peak tf.memory() a real step reaches (wasm, ResNet50 trunk, colour jitter and crop, ${step})`, async () => {
    await selectBackend('wasm');
    const config = narrowResnet50();
    const schema = policySchema(config);
    const plan = planStepMemory(config, schema, B, microBatch);
    const policy = buildPolicy(config, createWeights(schema, initialValues(schema, createRng(0)), true), createWeights(schema, initialValues(schema, createRng(0)), false));
    const batch = syntheticBatch(config, B);
    const state = initialTrainerState(policy, { optimizer: { kind: 'adamw', betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, learningRate: 1e-4, schedule: { kind: 'constant' } }, createRng(0));
    await trainStep(state, batch, microBatch); // makes the Adam moments, so the profiled step holds everything the plan counts
    const before = tf.memory().numBytes;
    const profile = await tf.profile(async () => void (await trainStep(state, batch, microBatch)));
    // The profile's peak counts every tensor handle, a reshape's too; it is the figure users see in tf.memory().
    const measured = profile.peakBytes;
    assert.ok(Math.abs(plan.total / measured - 1) < 0.25, `estimate ${plan.total} vs measured peak ${measured} (state before the step ${before})`);
    for (const slot of state.slots) if (slot) tf.dispose([slot.expAvg, slot.expAvgSq]);
    disposePolicy(policy);
  });
}

const plan = (b: number, m?: number) => planStepMemory(fullSize(FULL_LIBERO), policySchema(fullSize(FULL_LIBERO)), b, m);

/** Returns the `train/out-of-memory` message `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'train/out-of-memory');
    return (error as Error).message;
  }
  throw new Error('the step should have been refused');
}

test('a budget between batch 3 and batch 4 refuses batch 6 and names batch 3, and the largest micro-batch of 6 that fits', () => {
  const budget = { bytes: (plan(3).total + plan(4).total) / 2 / BUDGET_SHARE, what: 'a test budget' };
  const config = fullSize(FULL_LIBERO);
  const schema = policySchema(config);
  assert.is(checkStepMemory(config, schema, { batchSize: 3 }, 'cpu', budget, 'c.json').total, plan(3).total);
  const message = refusal(() => checkStepMemory(config, schema, { batchSize: 6 }, 'cpu', budget, 'c.json'));
  const match = /^c\.json: a training step at batch 6 needs about [\d.]+ GiB on the cpu backend, more than a test budget allows \([\d.]+ GiB of [\d.]+ GiB\) \(weights [\d.]+ GiB, EMA [\d.]+ GiB, Adam moments [\d.]+ GiB, gradients [\d.]+ GiB, activations [\d.]+ GiB\)\. Use --micro-batch (\d) \(batch 6 in (\d) passes, the same training\), or --batch-size 3 or lower, or --backend webgpu \(a GPU\) or a machine with more memory\.$/.exec(message);
  assert.ok(match, message);
  const m = Number(match[1]);
  assert.ok(plan(6, m).total <= budget.bytes * BUDGET_SHARE && plan(6, m + 1).total > budget.bytes * BUDGET_SHARE, `micro-batch ${m} is the largest that fits`);
  assert.is(Number(match[2]), Math.ceil(6 / m));
});

test('micro-batches: activations of M elements plus one gradient accumulator; M >= B is the whole batch', () => {
  for (const m of [8, 16]) {
    const split = plan(64, m);
    assert.is(split.microBatch, m);
    assert.is(split.activations, plan(m).activations);
    assert.is(split.accumulator, split.gradients);
    assert.is(split.total, plan(m).total + split.gradients);
  }
  assert.equal(plan(64, 64), plan(64));
  assert.equal(plan(6, 8), plan(6));
  assert.is(plan(6).accumulator, 0);
  // Batch 64, robomimic's, at full size: far past any single GPU whole, within one in micro-batches of 8 or 16.
  assert.ok(plan(64).total > 128 * 2 ** 30 && plan(64, 16).total < 40 * 2 ** 30 && plan(64, 8).total < 22 * 2 ** 30, `${plan(64).total} ${plan(64, 16).total} ${plan(64, 8).total}`);
  assert.match(describeStepMemory(plan(64, 8), null), /^memory: a step at batch 64 in micro-batches of 8 needs about [\d.]+ GiB \(weights [\d.]+ GiB, EMA [\d.]+ GiB, Adam moments [\d.]+ GiB, gradients [\d.]+ GiB, gradient accumulator [\d.]+ GiB, activations [\d.]+ GiB\)$/);
});

test('batch 64 at micro-batch 16 on a budget between micro-batches 8 and 9 is refused, naming --micro-batch 8', () => {
  const budget = { bytes: (plan(64, 8).total + plan(64, 9).total) / 2 / BUDGET_SHARE, what: 'a test budget' };
  const config = fullSize(FULL_LIBERO);
  const schema = policySchema(config);
  assert.is(checkStepMemory(config, schema, { batchSize: 64, microBatch: 8 }, 'cpu', budget, 'c.json').total, plan(64, 8).total);
  const message = refusal(() => checkStepMemory(config, schema, { batchSize: 64, microBatch: 16 }, 'cpu', budget, 'c.json'));
  assert.ok(message.startsWith(`c.json: a training step at batch 64 in micro-batches of 16 needs about ${(plan(64, 16).total / 2 ** 30).toFixed(2)} GiB on the cpu backend`), message);
  assert.match(message, /gradients [\d.]+ GiB, gradient accumulator [\d.]+ GiB, activations [\d.]+ GiB\)\. Use --micro-batch 8 \(batch 64 in 8 passes, the same training\), or --batch-size \d+ or lower, or --backend webgpu/);
});

test('surgery train refuses the full-size network on wasm before any tensor is made, and writes nothing', async () => {
  await selectBackend('wasm');
  assert.ok(plan(1).total - plan(1).activations < WASM_HEAP_MAX_BYTES * BUDGET_SHARE, 'the state alone fits; the activations are what does not');
  const data = join(dir, 'libero.hdf5');
  await writeSyntheticLibero(data, { lengths: [20] });
  const tensors = tf.memory().numTensors;
  const out = join(dir, 'refused');
  const lines: string[] = [];
  try {
    await runTraining({ config: FULL_LIBERO, data: [data], load: 'strict', out, epochs: 1, stepsPerEpoch: 1, batchSize: 1, backend: 'wasm', resume: false, prefetch: false, log: (l) => lines.push(l), progress: null });
    assert.unreachable('the full-size step does not fit the wasm heap');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'train/out-of-memory');
    const message = (error as Error).message;
    assert.ok(message.startsWith(`${FULL_LIBERO}: a training step at batch 1 needs about `), message);
    assert.match(message, /more than the wasm heap limit allows \(3\.60 GiB of 4\.00 GiB\)/);
    assert.match(message, /Even batch 1 \([\d.]+ GiB\) does not fit: the model's weights, EMA and optimizer state alone are [\d.]+ GiB\. Use --backend webgpu \(a GPU\) or --backend cpu \(system memory, slower\)\.$/);
  }
  assert.is(tf.memory().numTensors, tensors, 'no tensor was allocated');
  assert.equal(readdirSync(out), [], 'nothing was written');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
