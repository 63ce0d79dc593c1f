/**
 * Gradient accumulation: a step differentiated in micro-batches is the whole-batch step, up to the
 * order of float sums. Tolerances, from float32's unit roundoff u = 6e-8: the loss is a mean of
 * n = S·B·Tp·ac = 5376 squared errors here, and summing them in another grouping (per micro-batch,
 * then across) moves the sum by ~√n·u ≈ 4e-6 relative, so loss, squared grad norms and each
 * parameter's gradient (compared as |Δg| / |g| per tensor) must agree within 1e-5 (measured:
 * ≤ 2.2e-6). Weights are held to 2% of one learning-rate step per step taken: Adam's first steps
 * move a weight by lr·g/(|g| + eps), and for the few gradient elements within a few eps of zero
 * — where another summation order changes g itself by percents — that ratio moves too (measured:
 * 0.6% of one step, after two). A micro-batch that got another element's rows or draws would be
 * off by the whole step.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/model/backend.ts';
import { loadPolicy } from '../../src/model/load-policy.ts';
import { disposePolicy, type Policy } from '../../src/model/policy.ts';
import { openSequenceDataset } from '../../src/data/sequence-dataset.ts';
import { readBatch, type Batch } from '../../src/data/read-batch.ts';
import { validateTrainConfig } from '../../src/train/train-config.ts';
import { initialTrainerState, trainStep, type StepResult, type TrainerState } from '../../src/train/train-step.ts';
import { microBatches } from '../../src/train/micro-batches.ts';
import { runTraining } from '../../src/train/run-training.ts';
import { createRng } from '../../src/random/rng.ts';
import { tinyConfigJson, writeTinyRun, type TinyRun } from './tiny-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-micro-batches-'));
const RTOL = 1e-5;
/** Of one learning-rate step, per step taken. */
const WEIGHT_TOL = 0.02;
const ROUNDOFF = 2 ** -24;

function subdir(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

test('micro-batches cover the batch in order, at most M each, the last one smaller, shares adding to 1', () => {
  assert.equal(microBatches(6, 4).map((p) => [p.start, p.end]), [[0, 4], [4, 6]]);
  assert.equal(microBatches(6, 6).map((p) => [p.start, p.end, p.share]), [[0, 6, 1]]);
  assert.equal(microBatches(3, 8).map((p) => [p.start, p.end, p.share]), [[0, 3, 1]]);
  const parts = microBatches(64, 5);
  assert.is(parts.length, 13);
  assert.is(parts.at(-1)!.end - parts.at(-1)!.start, 4);
  assert.ok(Math.abs(parts.reduce((s, p) => s + p.share, 0) - 1) < 1e-15);
});

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= RTOL * Math.abs(expected), `${what}: ${actual} vs ${expected} (relative ${Math.abs(actual - expected) / Math.abs(expected)}, allowed ${RTOL})`);
}

/** Asserts that every weight of `b` is `a`'s within `WEIGHT_TOL` of `steps` steps of `lr`, and that the steps moved the weights. */
function sameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>, start: Map<string, Float32Array>, lr: number, steps: number, what: string): void {
  let moved = 0;
  for (const [key, wa] of a) {
    const wb = b.get(key)!;
    const w0 = start.get(key)!;
    for (let i = 0; i < wa.length; i++) {
      if (wa[i] !== w0[i]) moved++;
      const allowed = WEIGHT_TOL * lr * steps + 2 * ROUNDOFF * Math.abs(wa[i]!);
      if (Math.abs(wa[i]! - wb[i]!) > allowed) assert.unreachable(`${what} ${key}[${i}]: ${wb[i]} vs ${wa[i]} (${Math.abs(wa[i]! - wb[i]!)} apart, allowed ${allowed})`);
    }
  }
  assert.ok(moved > 0, `${what}: the steps changed the weights`);
}

/** Asserts that each parameter's tensor in `b` is `a`'s within `RTOL` of its L2 norm. */
function sameTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>, what: string): void {
  assert.equal([...b.keys()], [...a.keys()], `${what}: the same parameters`);
  for (const [key, ta] of a) {
    const tb = b.get(key)!;
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < ta.length; i++) {
      diff += (ta[i]! - tb[i]!) ** 2;
      norm += ta[i]! ** 2;
    }
    const ratio = Math.sqrt(diff / norm);
    assert.ok(ratio <= RTOL, `${what} ${key}: |Δ| / |g| = ${ratio}, allowed ${RTOL}`);
  }
}

function snapshot(policy: Policy, set: 'nets' | 'ema'): Map<string, Float32Array> {
  const weights = set === 'nets' ? policy.nets : policy.ema!;
  return new Map(policy.schema.params.map((p) => [p.keys[0]!, new Float32Array(weights.tensors[p.id]!.dataSync())]));
}

interface Trained {
  results: StepResult[];
  /** Per step, per parameter key: Adam's first moment, `0.1·g` after step 1 — the accumulated gradient, scaled. */
  moments: Map<string, Float32Array>[];
  nets: Map<string, Float32Array>;
  ema: Map<string, Float32Array>;
  start: Map<string, Float32Array>;
  /** Tensors alive after each step. */
  tensors: number[];
}

/** Two steps of the tiny policy from its init checkpoint on `batch`, in micro-batches of `microBatch` (undefined: whole). */
async function trainTwice(run: TinyRun, batch: Batch, microBatch: number | undefined): Promise<Trained> {
  const { policy } = await loadPolicy(run.initPath);
  const train = validateTrainConfig(tinyConfigJson(), run.configPath, { data: [run.dataPath] });
  const state: TrainerState = initialTrainerState(policy, { optimizer: train.optimizer, learningRate: train.learningRate, schedule: { kind: 'constant' } }, createRng(7));
  const start = snapshot(policy, 'nets');
  const results: StepResult[] = [];
  const moments: Map<string, Float32Array>[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < 2; i++) {
    results.push(await trainStep(state, batch, microBatch));
    tensors.push(tf.memory().numTensors);
    moments.push(new Map(policy.schema.params.filter((p) => state.slots[p.id]).map((p) => [p.keys[0]!, new Float32Array(state.slots[p.id]!.expAvg.dataSync())])));
  }
  const out = { results, moments, nets: snapshot(policy, 'nets'), ema: snapshot(policy, 'ema'), start, tensors };
  for (const slot of state.slots) if (slot) tf.dispose([slot.expAvg, slot.expAvgSq]);
  disposePolicy(policy);
  return out;
}

test('wasm: two steps in micro-batches of 2 (3 passes) and of 4 (4 + 2) match the whole-batch steps', async () => {
  await selectBackend('wasm');
  const run = await writeTinyRun(subdir('steps'), { lengths: [5, 6] });
  const train = validateTrainConfig(tinyConfigJson(), run.configPath, { data: [run.dataPath] });
  const ds = await openSequenceDataset(train.sources, train.dataSpec);
  const batch = readBatch(ds, ds.samples.slice(0, train.batchSize));
  ds.close();
  assert.is(batch.actions.shape[0], 6);
  const whole = await trainTwice(run, batch, undefined);
  assert.equal(whole.results.map((r) => r.loss), (await trainTwice(run, batch, 6)).results.map((r) => r.loss), 'micro-batch B is the whole batch, bit for bit');
  for (const microBatch of [2, 4]) {
    const split = await trainTwice(run, batch, microBatch);
    const what = `micro-batch ${microBatch}`;
    whole.results.forEach((r, i) => {
      close(split.results[i]!.loss, r.loss, `${what}, step ${i + 1} loss`);
      close(split.results[i]!.gradNorms, r.gradNorms, `${what}, step ${i + 1} grad norms`);
      assert.is(split.results[i]!.lr, r.lr);
    });
    assert.ok(split.results.some((r, i) => r.loss !== whole.results[i]!.loss || r.gradNorms !== whole.results[i]!.gradNorms), `${what} really took another path`);
    whole.moments.forEach((m, i) => sameTensors(m, split.moments[i]!, `${what}, step ${i + 1} gradient`));
    sameWeights(whole.nets, split.nets, whole.start, train.learningRate, 2, `${what} nets`);
    sameWeights(whole.ema, split.ema, whole.start, train.learningRate, 2, `${what} EMA`);
    assert.is(split.tensors[1], split.tensors[0], `${what}: no tensor leaks after the first step`);
    assert.is(split.tensors[1], whole.tensors[1], `${what}: the same tensors alive as the whole-batch step`);
  }
});

/** Per step: loss and grad norms; per epoch: validation loss, from a run's metrics.jsonl. */
function metrics(out: string): { steps: [number, number][]; valid: number[] } {
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return {
    steps: lines.filter((m) => m.kind === 'step').map((m) => [m.loss, m.grad_norms]),
    valid: lines.filter((m) => m.kind === 'epoch').map((m) => m.valid_loss),
  };
}

// Two crops per image, then two colour samples per crop: the colour draws are four rows per frame,
// so a slice that forgot the copies before it would hand a micro-batch another element's draws.
test('surgery train --micro-batch 4 at batch 6 (crops and colour jitter, validation demos) reproduces the run without it', async () => {
  const run = await writeTinyRun(subdir('runs'), { lengths: [5, 6, 4], masks: { train: ['demo_0', 'demo_1'], valid: ['demo_2'] } });
  const json = tinyConfigJson();
  json.observation.encoder.rgb.obs_randomizer_class = ['CropRandomizer', 'ColorRandomizer'];
  json.observation.encoder.rgb.obs_randomizer_kwargs = [{ crop_height: 28, crop_width: 28, num_crops: 2, pos_enc: false }, { num_samples: 2 }];
  const config = join(dir, 'jitter.json');
  writeFileSync(config, JSON.stringify(json));
  const lines: string[] = [];
  const train = async (microBatch?: number): Promise<string> => {
    const out = join(dir, `run-${microBatch ?? 'whole'}`);
    await runTraining({ config, data: [run.dataPath], init: run.initPath, load: 'strict', out, epochs: 1, stepsPerEpoch: 2, backend: 'wasm', resume: false, prefetch: false, log: (l) => lines.push(l), progress: null, ...(microBatch ? { microBatch } : {}) });
    return out;
  };
  const whole = await train();
  const split = await train(4);
  assert.ok(lines.some((l) => l.startsWith('memory: a step at batch 6 in micro-batches of 4 needs about ')), lines.join('\n'));
  const [a, b] = [metrics(whole), metrics(split)];
  assert.is(a.steps.length, 2);
  a.steps.forEach(([loss, norms], i) => {
    close(b.steps[i]![0], loss, `step ${i + 1} loss`);
    close(b.steps[i]![1], norms, `step ${i + 1} grad norms`);
  });
  assert.is(a.valid.length, 1);
  close(b.valid[0]!, a.valid[0]!, 'validation loss');
  const [wa, wb, w0] = await Promise.all([join(whole, 'last.pth'), join(split, 'last.pth'), run.initPath].map(async (path) => {
    const { policy } = await loadPolicy(path);
    const nets = snapshot(policy, 'nets');
    disposePolicy(policy);
    return nets;
  }));
  sameWeights(wa!, wb!, w0!, tinyConfigJson().algo.optim_params.policy.learning_rate.initial, 2, 'last.pth nets');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
