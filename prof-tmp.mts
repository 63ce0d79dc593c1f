import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from './src/model/backend.ts';
import { writeTinyRun, tinyConfigJson } from './test/train/tiny-run.ts';
import { loadPolicy } from './src/model/load-policy.ts';
import { openSequenceDataset } from './src/data/sequence-dataset.ts';
import { readBatch } from './src/data/read-batch.ts';
import { validateTrainConfig } from './src/train/train-config.ts';
import { trainStep, type TrainerState } from './src/train/train-step.ts';
import { createRng } from './src/train/rng.ts';
import { emaConfig } from './src/train/ema.ts';
await selectBackend((process.argv[2] ?? 'wasm') as any);
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const run = await writeTinyRun(dir);
const { policy } = await loadPolicy(run.initPath);
if (process.argv[3] === 'nocolor') policy.config.rgb.color = null;
const tc = validateTrainConfig(tinyConfigJson(), 'x', { data: [run.dataPath] });
const ds = await openSequenceDataset(tc.sources, tc.dataSpec);
const state: TrainerState = { policy, slots: policy.schema.params.map(() => null), paramPolicies: policy.schema.params.map(() => ({ lrFactor: 1, frozenUntil: 0 })),
  optimizer: tc.optimizer, baseLr: tc.learningRate, schedule: tc.schedule, schedulerEpoch: 0, ema: emaConfig(0.75), emaOptimizationStep: 0, step: 0, rng: createRng(0) };
const batch = readBatch(ds, ds.samples.slice(0, 12));
for (let i = 0; i < 8; i++) { const t0 = performance.now(); trainStep(state, batch); console.log(i, (performance.now() - t0).toFixed(0)); }
// profile one step
const prof = await tf.profile(() => { trainStep(state, batch); });
const byKernel = new Map<string, number>();
for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log('kernels', prof.kernels.length, [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([n, t]) => `${n}:${t.toFixed(1)}`).join(' '));
const counts = new Map<string, number>();
for (const k of prof.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
console.log('counts', [...counts].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([n, c]) => `${n}:${c}`).join(' '));
