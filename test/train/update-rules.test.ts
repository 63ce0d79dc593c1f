import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { adamStep, newAdamSlot, type AdamConfig } from '../../src/train/adam.ts';
import { emaConfig, emaDecay, emaStep } from '../../src/train/ema.ts';
import { lrFactor } from '../../src/train/lr-schedule.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';


interface ParamRecord {
  shape: number[];
  before: number[];
  grad: number[];
  after_optimizer_step: number[];
  ema_before: number[];
  ema_after: number[];
}

interface TrainRecord {
  optimizer: { type: string; lr: number; betas: [number, number]; eps: number; weight_decay: number; lr_after: number };
  ema: { power: number; optimization_step_before: number; decay_used: number };
  lr_scheduler: { warmup_steps: number; num_training_steps: number; num_cycles: number; initial_lr: number; last_epoch_before: number } | null;
  params: Record<string, ParamRecord>;
}

function loadTrainRecord(name: string): TrainRecord {
  return JSON.parse(runPython(`
import torch, json, sys
t = torch.load(sys.argv[1])['train']
o = dict(t['optimizer']); o['lr_after'] = o.pop('lr_after_step(upstream: after on_gradient_step)')
params = {k: {f: (v[f].flatten().tolist() if torch.is_tensor(v[f]) else v[f]) for f in ['shape', 'before', 'grad', 'after_optimizer_step', 'ema_before', 'ema_after']} for k, v in t['params'].items()}
print(json.dumps({'optimizer': o, 'ema': t['ema'], 'lr_scheduler': t.get('lr_scheduler'), 'params': params}))`, [join(REFERENCE_DIR, `${name}.parity.pth`)]));
}

/** Largest |a - b| / (|b| + atol) — the reference README's 1e-5 relative tolerance with a floor. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6): number {
  assert.is(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + atol));
  return worst;
}

tf.setBackend('cpu');

function variableOf(values: number[], shape: number[], trainable: boolean): tf.Variable {
  const init = tf.tensor(values, shape);
  const variable = tf.variable(init, trainable);
  init.dispose();
  return variable;
}

for (const name of ['fork_libero_tiny', 'fork_droid_tiny', 'upstream_libero_tiny']) {
  const torchTest = hasTorch ? test : test.skip;
  torchTest(`optimizer, LR and EMA updates reproduce the recorded step of ${name}`, () => {
    const record = loadTrainRecord(name);
    const o = record.optimizer;
    const config: AdamConfig = { kind: o.type === 'AdamW' ? 'adamw' : 'adam', betas: o.betas, eps: o.eps, weightDecay: o.weight_decay };
    const ema = emaConfig(record.ema.power);
    assert.is(emaDecay(ema, record.ema.optimization_step_before), record.ema.decay_used);
    const s = record.lr_scheduler;
    if (s) {
      const schedule = { kind: 'cosine' as const, warmupSteps: s.warmup_steps, trainingSteps: s.num_training_steps, numCycles: s.num_cycles };
      assert.is(s.initial_lr * lrFactor(schedule, s.last_epoch_before), o.lr);
      assert.is(s.initial_lr * lrFactor(schedule, s.last_epoch_before + 1), o.lr_after);
    }
    const before = tf.memory().numTensors;
    for (const [key, p] of Object.entries(record.params)) {
      const param = variableOf(p.before, p.shape, true);
      const grad = tf.tensor(p.grad, p.shape);
      const slot = newAdamSlot(param);
      adamStep(config, [{ param, grad, slot, lr: o.lr }]);
      const after = param.dataSync();
      // The update itself is ~lr; compare it as well as the parameter, so a wrong update cannot hide in rounding.
      const delta = Float32Array.from(after, (v, i) => v - p.before[i]!);
      const expectedDelta = Float32Array.from(p.after_optimizer_step, (v, i) => v - p.before[i]!);
      assert.ok(maxRelErr(after, p.after_optimizer_step) < 1e-5, `${key} after step`);
      assert.ok(maxRelErr(delta, expectedDelta, 1e-9) < 2e-3, `${key} update`);
      assert.is(slot.step, 1);
      const emaVar = variableOf(p.ema_before, p.shape, false);
      emaStep(ema, [{ ema: emaVar, param, trainable: true }], record.ema.optimization_step_before);
      assert.ok(maxRelErr(emaVar.dataSync(), p.ema_after) < 1e-5, `${key} ema`);
      tf.dispose([param, grad, slot.expAvg, slot.expAvgSq, emaVar]);
    }
    assert.is(tf.memory().numTensors, before, 'no tensors leak from the update rules');
  });
}

test('Adam and AdamW keep moments across steps and weight decay differs as torch documents', () => {
  // Three steps with a fixed gradient: closed forms of torch's recurrences, computed in float64.
  const g = 0.5;
  const p0 = 1;
  const lr = 0.1;
  for (const kind of ['adam', 'adamw'] as const) {
    const config: AdamConfig = { kind, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };
    const param = variableOf([p0], [1], true);
    const slot = newAdamSlot(param);
    let p = p0;
    let m = 0;
    let v = 0;
    for (let step = 1; step <= 3; step++) {
      const grad = tf.tensor([g]);
      adamStep(config, [{ param, grad, slot, lr }]);
      grad.dispose();
      if (kind === 'adamw') p *= 1 - lr * 0.01;
      const ge = kind === 'adam' ? g + 0.01 * p : g;
      m = 0.9 * m + 0.1 * ge;
      v = 0.999 * v + 0.001 * ge * ge;
      p -= ((lr / (1 - 0.9 ** step)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** step) + 1e-8);
    }
    assert.ok(Math.abs(param.dataSync()[0]! - p) < 1e-6, `${kind}: ${param.dataSync()[0]} vs ${p}`);
    assert.is(slot.step, 3);
    tf.dispose([param, slot.expAvg, slot.expAvgSq]);
  }
});

test('EMA copies frozen parameters and starts with decay 0', () => {
  const ema = emaConfig(0.75);
  assert.is(emaDecay(ema, 0), 0);
  assert.is(emaDecay(ema, 1), 0);
  assert.is(emaDecay(ema, 2), 1 - 2 ** -0.75);
  assert.is(emaDecay(ema, 1e9), 0.9999);
  const average = variableOf([1, 2], [2], false);
  const frozen = variableOf([5], [1], false);
  const live = tf.tensor([3, 4]);
  const frozenLive = tf.tensor([7]);
  emaStep(ema, [{ ema: average, param: live, trainable: true }, { ema: frozen, param: frozenLive, trainable: false }], 5);
  const d = emaDecay(ema, 5);
  assert.ok(Math.abs(average.dataSync()[0]! - (d * 1 + (1 - d) * 3)) < 1e-6);
  assert.equal(Array.from(frozen.dataSync()), [7]);
  tf.dispose([average, frozen, live, frozenLive]);
});

test('cosine schedule: zero at step 0, linear warm-up, half-cosine to zero', () => {
  const schedule = { kind: 'cosine' as const, warmupSteps: 10, trainingSteps: 110, numCycles: 0.5 };
  assert.is(lrFactor(schedule, 0), 0);
  assert.is(lrFactor(schedule, 5), 0.5);
  assert.is(lrFactor(schedule, 10), 1);
  assert.ok(Math.abs(lrFactor(schedule, 60) - 0.5) < 1e-12);
  assert.is(lrFactor(schedule, 110), 0);
  assert.is(lrFactor({ kind: 'multistep', milestones: [2, 4], gamma: 0.1 }, 4), 0.1 ** 2);
  assert.ok(Math.abs(lrFactor({ kind: 'linear', endFactor: 0.1, totalIters: 10 }, 20) - 0.1) < 1e-15);
});

test.run();
