/**
 * The full-size finetune end to end, only when SURGERY_FULL_SIZE=1 asks for it (a step of the 162M
 * parameter network takes minutes on a CPU): `surgery init` of the full-size DROID config, `surgery
 * apply` of remaps/droid-to-libero.remap onto the full-size LIBERO config, then one `surgery train`
 * step at batch 2 on SURGERY_FULL_SIZE_BACKEND (default cpu) from that output. Real PyTorch loads the
 * checkpoint it writes, whose `model.nets` and `model.ema` have exactly the real LIBERO network's
 * keys and shapes (../shared/reference/full_size/libero_nets.tsv).
 *
 *   SURGERY_FULL_SIZE=1 [SURGERY_FULL_SIZE_BACKEND=webgpu] node --import tsx scripts/run-tests.ts 'full-size-step'
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCli } from '../../src/cli/create-cli.ts';
import { writeSyntheticLibero } from '../../src/data/write-synthetic-libero.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const CONFIGS = join(ROOT, 'examples/droid-to-libero/configs/full-size');
const MANIFEST = `${REFERENCE_DIR}full_size/libero_nets.tsv`;
const wanted = process.env.SURGERY_FULL_SIZE === '1';
const backend = process.env.SURGERY_FULL_SIZE_BACKEND ?? 'cpu';
if (!wanted) console.warn('\n!!! SKIPPING the full-size train step (minutes on a CPU): set SURGERY_FULL_SIZE=1 to run it !!!\n');
const fullTest = wanted && hasTorch ? test : test.skip;
const dir = mkdtempSync(join(tmpdir(), 'surgery-full-size-'));

fullTest(`one full-size step at batch 2 on ${backend} from a surgery apply output writes a checkpoint PyTorch loads with the real LIBERO keys`, async () => {
  const droid = join(dir, 'droid_init.pth');
  const libero = join(dir, 'libero_from_droid.pth');
  const data = join(dir, 'libero.hdf5');
  const out = join(dir, 'train');
  const time = async (what: string, run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    console.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await time('init (full-size DROID)', () => createCli(['init', '--config', join(CONFIGS, 'droid_rlds.json'), '--out', droid]).parseAsync());
  await time('apply (droid-to-libero.remap)', () =>
    createCli(['apply', droid, join(ROOT, 'remaps/droid-to-libero.remap'), '--target-config', join(CONFIGS, 'libero.json'), '-o', libero, '--report', join(dir, 'apply.txt')]).parseAsync(),
  );
  await writeSyntheticLibero(data, { lengths: [24, 24] });
  const train = ['train', '--config', join(CONFIGS, 'libero.json'), '--init', libero, '--data', data, '--backend', backend, '--batch-size', '2', '--epochs', '1', '--steps-per-epoch', '1', '--out', out, '--quiet'];
  await time(`train (1 step, batch 2, ${backend})`, () => createCli(train).parseAsync());
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const step = metrics.find((m) => m.step === 1 && 'loss' in m);
  assert.ok(step && Number.isFinite(step.loss), `a finite first-step loss in metrics.jsonl: ${JSON.stringify(metrics)}`);
  const report = JSON.parse(
    runPython(
      `
import json, sys, torch
ckpt = torch.load(sys.argv[1])
real = dict(line.split('\\t')[:2] for line in open(sys.argv[2]).read().strip().split('\\n'))
out = {}
for d in ['nets', 'ema']:
    sd = ckpt['model'][d]
    out[d] = {'same_keys': set(sd) == set(real), 'missing': sorted(set(real) - set(sd))[:5], 'unexpected': sorted(set(sd) - set(real))[:5],
              'shapes': all('x'.join(map(str, sd[k].shape)) == real[k] for k in sd if k in real), 'finite': all(bool(torch.isfinite(v).all()) for v in sd.values())}
out['step'] = ckpt['variable_state']['surgery']['step']
print(json.dumps(out))`,
      [join(out, 'last.pth'), MANIFEST],
    ),
  );
  for (const d of ['nets', 'ema']) {
    assert.ok(report[d].same_keys, `model.${d} has exactly the real keys: ${JSON.stringify(report[d])}`);
    assert.ok(report[d].shapes && report[d].finite, `model.${d} shapes and values: ${JSON.stringify(report[d])}`);
  }
  assert.is(report.step, 1);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
