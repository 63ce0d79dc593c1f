import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/model/backend.ts';
import { loadPolicy } from '../../src/model/load-policy.ts';
import { disposePolicy } from '../../src/model/policy.ts';
import { openSequenceDataset } from '../../src/data/sequence-dataset.ts';
import { readBatch } from '../../src/data/read-batch.ts';
import { sampledActionError } from '../../src/train/evaluate.ts';
import { runTraining } from '../../src/train/run-training.ts';
import { createRng } from '../../src/random/rng.ts';
import { validateTrainConfig } from '../../src/train/train-config.ts';
import { tinyConfigJson, writeTinyRun } from './tiny-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-overfit-'));

/** EMA-sampled action error on the whole (tiny) dataset, four fixed noise draws per sample. */
async function actionError(checkpoint: string, dataPath: string): Promise<number> {
  const { policy } = await loadPolicy(checkpoint);
  const train = validateTrainConfig(tinyConfigJson(), 'tiny.json', { data: [dataPath] });
  const ds = await openSequenceDataset(train.sources, train.dataSpec);
  const error = (await sampledActionError(policy, readBatch(ds, [...ds.samples, ...ds.samples, ...ds.samples, ...ds.samples]), createRng(99))).trajectoryMse;
  ds.close();
  disposePolicy(policy);
  return error;
}

// The tiny policy with its 32×32 camera, ~0.14 s a step on wasm. A diffusion loss falls slowly (noise
// at small timesteps is hard to predict), and sampled actions follow later still: at 400 steps the
// loss was ~2.7× down but the EMA-sampled action error only ~0.82×, hence 800.
test('the tiny policy overfits a small synthetic LIBERO file without leaking tensors', async () => {
  await selectBackend('wasm');
  const run = await writeTinyRun(dir);
  const losses: number[] = [];
  const tensors: number[] = [];
  const out = join(dir, 'out');
  const summary = await runTraining({
    config: run.configPath,
    data: [run.dataPath],
    init: run.initPath,
    load: 'strict',
    out,
    epochs: 16,
    stepsPerEpoch: 50,
    backend: 'wasm',
    resume: false,
    seed: 2,
    log: () => undefined,
    progress: null,
    onStep: (_, loss) => {
      losses.push(loss);
      tensors.push(tf.memory().numTensors);
    },
  });
  assert.is(summary.steps, 800);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, 10));
  const last = mean(losses.slice(-25));
  // The loss falls to a plateau of ~0.33 by step 300, then drops again to ~0.19 at a step that varies
  // with the random stream. Measured over seeds 1–5: seeds 2–5 dropped between steps 550 and 650
  // (5.1–5.4x down); seed 1 was still on the plateau at step 800 (3.4x). Hence the pinned seed.
  assert.ok(last < first / 4, `loss fell from ${first.toFixed(3)} to ${last.toFixed(3)}, less than 4x`);
  // Adam state is created during step 1; from then on every step must leave the tensor count unchanged.
  assert.equal(new Set(tensors.slice(1)).size, 1, `tensor counts varied: ${[...new Set(tensors)].join(', ')}`);
  const before = await actionError(run.initPath, run.dataPath);
  const after = await actionError(join(out, 'last.pth'), run.dataPath);
  // Measured: about 0.94 → 0.61 (the live weights, 0.58, are a little ahead of their average).
  assert.ok(after < 0.7 * before, `EMA-sampled action MSE went from ${before.toFixed(3)} to ${after.toFixed(3)}`);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.is(metrics.filter((m) => m.kind === 'step').length, 800);
  assert.is(metrics.filter((m) => m.kind === 'epoch').length, 16);
  assert.match(readFileSync(join(out, 'loss.svg'), 'utf8'), /^<svg[\s\S]*<path d="M/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
