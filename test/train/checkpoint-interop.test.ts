import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../../src/train/run-training.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-train-interop-'));
const torchTest = hasTorch ? test : test.skip;

// One short run per code base, starting from the real robomimic checkpoint: what `surgery train`
// writes must have exactly the real model's keys and shapes and load into torch's own classes.
for (const name of ['fork_libero_tiny', 'upstream_libero_tiny']) {
  torchTest(`a checkpoint written by surgery train loads in PyTorch with the real ${name} keys, shapes and optimizer state`, async () => {
    const out = join(dir, name);
    const lines: string[] = [];
    const summary = await runTraining({
      config: join(REFERENCE_DIR, `${name}.config.json`),
      data: [join(REFERENCE_DIR, 'libero_fake_3demos.hdf5')],
      init: join(REFERENCE_DIR, `${name}.ckpt.pth`),
      load: 'strict',
      out,
      epochs: 1,
      stepsPerEpoch: 2,
      batchSize: 2,
      backend: 'wasm',
      resume: false,
      prefetch: false,
      log: (line) => lines.push(line),
      progress: null,
    });
    assert.is(summary.steps, 2);
    // The planner's load report (the same check as `surgery apply`) is printed for --init.
    assert.ok(lines.some((l) => l.startsWith('surgery plan (mode strict)') && /strict=True\s+loads/.test(l)), lines.join('\n'));
    const report = JSON.parse(
      runPython(
        `
import json, sys, torch
ours = torch.load(sys.argv[1])
real = torch.load(sys.argv[2])
out = {'top': list(ours.keys()), 'model': list(ours['model'].keys())}
for d in ['nets', 'ema']:
    out[d] = [(k, list(v.shape), str(v.dtype)) for k, v in ours['model'][d].items()] == [(k, list(v.shape), str(v.dtype)) for k, v in real['model'][d].items()]
    out[d + '_changed'] = any(not torch.equal(ours['model'][d][k], real['model'][d][k]) for k in real['model'][d])
nets = ours['model']['nets']
out['aliases_share_storage'] = all(
    any(nets[a].data_ptr() == nets[b].data_ptr() for b in nets if b != a)
    for a in nets if '.nets.0.nets.' in a)
# Rebuild torch's own optimizer over tensors of the same shapes, in parameters() order, and load the state.
seen, params = set(), []
for k, v in nets.items():
    if v.data_ptr() in seen or k.endswith(('pos_x', 'pos_y', 'temperature')):
        continue
    seen.add(v.data_ptr())
    params.append(torch.nn.Parameter(v.clone()))
group = ours['model']['optimizers']['policy']['param_groups'][0]
opt = (torch.optim.AdamW if 'differentiable' not in group else torch.optim.Adam)(params, lr=1e-4)
opt.load_state_dict(ours['model']['optimizers']['policy'])
out['optimizer_state_params'] = len(opt.state_dict()['state'])
out['optimizer_steps'] = sorted({float(s['step']) for s in opt.state_dict()['state'].values()})
out['n_params'] = len(params)
sched = ours['model']['lr_schedulers']['policy']
if sched is not None:
    lam = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    lam.load_state_dict(sched)
    out['scheduler_last_epoch'] = lam.last_epoch
out['variable_state'] = {k: v for k, v in ours['variable_state'].items() if k != 'surgery'}
out['surgery_step'] = ours['variable_state']['surgery']['step']
out['shape_metadata_equal'] = ours['shape_metadata'] == real['shape_metadata']
out['action_stats'] = ours['action_normalization_stats']['actions']
print(json.dumps(out))`,
        [join(out, 'last.pth'), join(REFERENCE_DIR, `${name}.ckpt.pth`)],
      ),
    );
    assert.equal(report.top, ['model', 'config', 'algo_name', 'env_metadata', 'shape_metadata', 'variable_state', 'action_normalization_stats']);
    assert.equal(report.model, ['nets', 'optimizers', 'lr_schedulers', 'ema']);
    assert.ok(report.nets, 'model.nets keys, shapes and dtypes equal the real checkpoint');
    assert.ok(report.ema, 'model.ema keys, shapes and dtypes equal the real checkpoint');
    assert.ok(report.nets_changed && report.ema_changed, 'training changed the weights');
    assert.ok(report.aliases_share_storage);
    assert.is(report.optimizer_state_params, report.n_params, 'every parameter has Adam state');
    assert.equal(report.optimizer_steps, [2]);
    if (name.startsWith('upstream')) assert.is(report.scheduler_last_epoch, 2, 'cosine LambdaLR stepped per batch');
    assert.equal(report.variable_state, { epoch: 1, best_valid_loss: null, best_return: null, best_success_rate: null });
    assert.is(report.surgery_step, 2);
    assert.ok(report.shape_metadata_equal);
    assert.equal(report.action_stats, { scale: [[1, 1, 1, 1, 1, 1, 1]], offset: [[0, 0, 0, 0, 0, 0, 0]] });
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
