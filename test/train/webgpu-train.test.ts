/**
 * `surgery train --backend webgpu` on the tiny config: the first step's loss equals wasm's from the
 * same seed (the whole forward pass, before any update), and the checkpoint it writes loads in
 * PyTorch with exactly the init checkpoint's keys, shapes and dtypes, trained and finite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCli } from '../../src/cli/create-cli.ts';
import { selectBackend } from '../../src/model/backend.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { hasWebGpu } from '../support/webgpu.ts';
import { writeTinyRun, type TinyRun } from './tiny-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-webgpu-train-'));

async function train(run: TinyRun, backend: 'webgpu' | 'wasm'): Promise<number[]> {
  const out = join(dir, backend);
  const args = ['train', '--config', run.configPath, '--data', run.dataPath, '--init', run.initPath, '--out', out];
  await createCli([...args, '--epochs', '1', '--steps-per-epoch', '2', '--batch-size', '2', '--backend', backend, '--quiet']).parseAsync();
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return records.filter((r) => r.kind === 'step').map((r) => r.loss);
}

if (hasWebGpu && hasTorch) {
  test('webgpu trains the tiny policy like wasm and writes a checkpoint PyTorch loads with the init\'s exact keys', async () => {
    await selectBackend('wasm');
    const run = await writeTinyRun(dir);
    const quiet = { log: console.log, error: console.error };
    console.log = console.error = () => undefined;
    let gpu: number[], wasm: number[];
    try {
      gpu = await train(run, 'webgpu');
      wasm = await train(run, 'wasm');
    } finally {
      Object.assign(console, quiet);
      await selectBackend('wasm');
    }
    assert.is(gpu.length, 2);
    assert.ok(Math.abs(gpu[0]! - wasm[0]!) <= 1e-5 * Math.abs(wasm[0]!), `first-step loss ${gpu[0]} (webgpu) vs ${wasm[0]} (wasm)`);
    const report = JSON.parse(
      runPython(
        `
import json, sys, torch
ours, init = torch.load(sys.argv[1]), torch.load(sys.argv[2])
out = {}
for d in ['nets', 'ema']:
    out[d] = [(k, list(v.shape), str(v.dtype)) for k, v in ours['model'][d].items()] == [(k, list(v.shape), str(v.dtype)) for k, v in init['model'][d].items()]
    out[d + '_finite'] = all(bool(torch.isfinite(v).all()) for v in ours['model'][d].values())
    out[d + '_changed'] = any(not torch.equal(ours['model'][d][k], init['model'][d][k]) for k in init['model'][d])
print(json.dumps(out))`,
        [join(dir, 'webgpu', 'last.pth'), run.initPath],
      ),
    );
    assert.equal(report, { nets: true, nets_finite: true, nets_changed: true, ema: true, ema_finite: true, ema_changed: true });
  });
} else {
  test.skip(`surgery train --backend webgpu (${hasWebGpu ? 'needs /usr/bin/python3 with torch' : 'no WebGPU adapter'})`, () => {});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
