import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeDefaultInit, initValues } from '../../src/plan/init-values.ts';
import { hasTorch, runPython } from '../support/torch.ts';

function range(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

test('same seed and key give the same values; another key or seed gives others', () => {
  const ctx = { key: 'a.weight', shape: [8, 4] };
  assert.equal(initValues({ kind: 'default' }, ctx, 0), initValues({ kind: 'default' }, ctx, 0));
  assert.not.equal(initValues({ kind: 'default' }, ctx, 0), initValues({ kind: 'default' }, { ...ctx, key: 'b.weight' }, 0));
  assert.not.equal(initValues({ kind: 'default' }, ctx, 0), initValues({ kind: 'default' }, ctx, 1));
});

test('default: norm weight 1, norm bias 0, running_var 1', () => {
  assert.ok(initValues({ kind: 'default' }, { key: 'gn.weight', shape: [16] }, 0).every((v) => v === 1));
  assert.ok(initValues({ kind: 'default' }, { key: 'gn.bias', shape: [16], siblingWeightShape: [16] }, 0).every((v) => v === 0));
  assert.ok(initValues({ kind: 'default' }, { key: 'bn.running_var', shape: [16] }, 0).every((v) => v === 1));
});

test('normal(std) has roughly the asked spread; zeros/ones are exact', () => {
  const values = initValues({ kind: 'normal', std: 0.02 }, { key: 'w', shape: [100, 100] }, 3);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
  assert.ok(initValues({ kind: 'zeros' }, { key: 'w', shape: [3] }, 0).every((v) => v === 0));
  assert.ok(initValues({ kind: 'ones' }, { key: 'w', shape: [3] }, 0).every((v) => v === 1));
});

// Torch's own fan-in and draws decide the bound: ours must stay inside it and fill it, as torch's do.
const torchTest = hasTorch ? test : test.skip;
torchTest('default init matches the bound torch.nn modules draw from (Linear, Conv1d, ConvTranspose1d, their biases)', () => {
  const script = `
import torch, json
torch.manual_seed(0)
mods = {'lin': torch.nn.Linear(135, 128), 'conv': torch.nn.Conv1d(10, 16, 5), 'convt': torch.nn.ConvTranspose1d(32, 16, 4)}
out = {}
for name, m in mods.items():
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(m.weight)
    out[name] = {'shape': list(m.weight.shape), 'bias': list(m.bias.shape), 'fanIn': fan_in,
                 'max': max(m.weight.abs().max().item(), m.bias.abs().max().item())}
print(json.dumps(out))`;
  const measured = JSON.parse(runPython(script)) as Record<string, { shape: number[]; bias: number[]; fanIn: number; max: number }>;
  for (const [name, m] of Object.entries(measured)) {
    const bound = 1 / Math.sqrt(m.fanIn);
    assert.ok(m.max <= bound, `torch itself stays within 1/sqrt(fan_in) for ${name}`);
    const weights = range(initValues({ kind: 'default' }, { key: `${name}.weight`, shape: m.shape }, 0));
    const biases = range(initValues({ kind: 'default' }, { key: `${name}.bias`, shape: m.bias, siblingWeightShape: m.shape }, 0));
    for (const [lo, hi] of [weights, biases]) assert.ok(lo >= -bound && hi <= bound, `${name} within ±${bound}`);
    assert.ok(weights[1] > 0.9 * bound && weights[0] < -0.9 * bound, `${name} weights fill ±${bound}: ${weights}`);
  }
});

test('describeDefaultInit says what default does', () => {
  assert.is(describeDefaultInit({ key: 'l.weight', shape: [128, 100] }), 'uniform(±0.1)');
  assert.is(describeDefaultInit({ key: 'gn.weight', shape: [16] }), 'ones');
});

test.run();
