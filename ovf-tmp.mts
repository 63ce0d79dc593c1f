import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeTinyRun } from '/work/main/test/train/tiny-run.ts';
import { runTraining } from '/work/main/src/train/run-training.ts';
import { selectBackend } from '/work/main/src/model/backend.ts';
await selectBackend((process.argv[3] ?? 'wasm') as any);
const dir = mkdtempSync(join(tmpdir(), 'ovf-'));
const run = await writeTinyRun(dir);
const losses: number[] = [];
const t0 = performance.now();
const summary = await runTraining({ config: run.configPath, data: [run.dataPath], init: run.initPath, load: 'strict', out: join(dir, 'out'), epochs: Number(process.argv[2] ?? 10), stepsPerEpoch: 25, backend: (process.argv[3] ?? 'wasm') as any, resume: false, log: (l) => console.log(l), progress: null, prefetch: true,
  onStep: (s, l) => { losses.push(l); if (s % 25 === 0) console.log(s, l.toFixed(4), tf.memory().numTensors, ((performance.now()-t0)/s).toFixed(0)+'ms/step'); } });
console.log(summary, (performance.now() - t0) / 1000);
