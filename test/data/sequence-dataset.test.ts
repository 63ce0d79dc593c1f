import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSequenceDataset } from '../../src/data/sequence-dataset.ts';
import { readBatch } from '../../src/data/read-batch.ts';
import { writeSyntheticLibero } from '../../src/data/write-synthetic-libero.ts';
import type { DataSpec } from '../../src/data/data-spec.ts';
import { InputError } from '../../src/input-error.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const FAKE = join(REFERENCE_DIR, 'libero_fake_3demos.hdf5');
const dir = mkdtempSync(join(tmpdir(), 'surgery-data-'));

function liberoSpec(seqLength: number): DataSpec {
  return {
    obsKeys: [
      { name: 'agentview_rgb', kind: 'rgb' },
      { name: 'ee_ori', kind: 'low_dim' },
      { name: 'ee_pos', kind: 'low_dim' },
      { name: 'eye_in_hand_rgb', kind: 'rgb' },
      { name: 'gripper_states', kind: 'low_dim' },
    ],
    actionKeys: ['actions'],
    actionNormalization: { actions: 'none' },
    frameStack: 2,
    seqLength,
    padFrameStack: true,
    padSeqLength: true,
    obsHorizon: 2,
    predictionHorizon: 16,
  };
}

const source = (path: string, filterKey: string | null = null) => ({ path, weight: 1, filterKey, demoLimit: null });

for (const [name, seqLength] of [['upstream_libero_tiny', 16], ['fork_libero_tiny', 15]] as const) {
  const torchTest = hasTorch ? test : test.skip;
  torchTest(`windows of the reference file equal the real SequenceDataset batch in ${name}`, async () => {
    const ds = await openSequenceDataset([source(FAKE)], liberoSpec(seqLength));
    const expected = JSON.parse(runPython(`
import torch, json, sys
p = torch.load(sys.argv[1])
out = {'indices': p['data_source']['dataset_indices'], 'demo_and_t': p['data_source']['demo_and_t'], 'len': p['data_source']['dataset_len'],
       'actions': p['train']['actions'].flatten().tolist(),
       'obs': {k: v.flatten().tolist() if v.dim() == 5 else v.float().flatten().tolist() for k, v in p['eval']['obs_raw'].items()}}
print(json.dumps(out))`, [join(REFERENCE_DIR, `${name}.parity.pth`)]));
    assert.is(ds.samples.length, expected.len);
    const refs = (expected.indices as number[]).map((i) => ds.samples[i]!);
    assert.equal(refs.map((r) => [r.demo, r.t]), expected.demo_and_t);
    const batch = readBatch(ds, refs);
    assert.equal(batch.actions.shape, [2, 16, 7]);
    assert.equal(Array.from(batch.actions.data), expected.actions.map(Math.fround));
    for (const [key, values] of Object.entries(expected.obs as Record<string, number[]>)) {
      const got = batch.obs[key]!;
      if (got.shape.length === 5) {
        assert.equal(got.shape, [2, 2, 128, 128, 3]);
        assert.equal(Array.from(got.data), values.map((v) => Math.fround(v / 255)), key);
      } else {
        assert.equal(Array.from(got.data), values, key);
      }
    }
    ds.close();
  });
}

(hasTorch ? test : test.skip)('clamped windows at both ends equal h5py rows at clamped indices', async () => {
  const path = join(dir, 'short.hdf5');
  await writeSyntheticLibero(path, { lengths: [3, 1, 6], imageSize: 8, seed: 3 });
  const spec = { ...liberoSpec(5), obsKeys: [{ name: 'eye_in_hand_rgb', kind: 'rgb' as const }, { name: 'ee_pos', kind: 'low_dim' as const }], predictionHorizon: 6 };
  const ds = await openSequenceDataset([source(path)], spec);
  assert.is(ds.samples.length, 10);
  const batch = readBatch(ds, ds.samples);
  // An independent statement of robomimic's padding: window frame i of sample t is row clamp(t - 1 + i).
  const text = runPython(`
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
acts, imgs, pos = [], [], []
for demo in ['demo_0', 'demo_1', 'demo_2']:
    g = f['data/' + demo]; T = int(g.attrs['num_samples'])
    for t in range(T):
        rows = [min(max(t - 1 + i, 0), T - 1) for i in range(6)]
        acts += [float(x) for r in rows for x in g['actions'][r]]
        imgs += [int(x) for r in rows[:2] for x in g['obs/eye_in_hand_rgb'][r].flatten()]
        pos += [float(x) for r in rows[:2] for x in g['obs/ee_pos'][r]]
print(json.dumps({'actions': acts, 'images': imgs, 'pos': pos}))`, [path]);
  const expected = JSON.parse(text);
  assert.equal(Array.from(batch.actions.data), expected.actions.map(Math.fround));
  assert.equal(Array.from(batch.obs['eye_in_hand_rgb']!.data), expected.images.map((v: number) => Math.fround(v / 255)));
  assert.equal(Array.from(batch.obs['ee_pos']!.data), expected.pos.map(Math.fround));
  ds.close();
});

test('masks select demos, sorted by number, and weights follow the files', async () => {
  const path = join(dir, 'masked.hdf5');
  await writeSyntheticLibero(path, { lengths: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], imageSize: 8, masks: { train: ['demo_10', 'demo_2', 'demo_9'], valid: ['demo_1'] } });
  const train = await openSequenceDataset([{ ...source(path, 'train'), weight: 2 }, source(FAKE)], liberoSpec(16), { normalizeWeightsBySize: true });
  assert.equal(train.files[0]!.demos.map((d) => d.name), ['demo_2', 'demo_9', 'demo_10']);
  assert.equal(train.files[0]!.masks, ['train', 'valid']);
  assert.is(train.samples.length, 4 + 11 + 12 + 25);
  assert.is(train.sampleWeights[0], 2 / 27);
  assert.is(train.sampleWeights[27], 1 / 25);
  train.close();
});

test('actions outside [-1, 1] with normalization none name file, demo and step', async () => {
  const path = join(dir, 'wide.hdf5');
  await writeSyntheticLibero(path, { lengths: [4, 4], imageSize: 8, actionScale: 1.5 });
  try {
    await openSequenceDataset([source(path)], liberoSpec(16));
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'data/action-out-of-range');
    assert.match((error as Error).message, path);
    assert.match((error as Error).message, 'member "data/demo_0/actions"');
    const named = /demo_0 at step (\d+) has value (-?[\d.]+) in dimension ([0-5])\b/.exec((error as Error).message);
    assert.ok(named, 'names the demo, the step and the dimension');
    assert.ok(Math.abs(Number(named[2])) > 1, 'the named value is the one out of range');
  }
  const normalized = await openSequenceDataset([source(path)], { ...liberoSpec(16), actionNormalization: { actions: 'min_max' } });
  const batch = readBatch(normalized, normalized.samples);
  assert.ok(batch.actions.data.every((v) => v >= -1 && v <= 1));
  assert.ok(batch.actions.data.some((v) => v > 0.99));
  normalized.close();
});

(hasTorch ? test : test.skip)('a dataset compressed with LZF is refused, not read as garbage', async () => {
  const path = join(dir, 'lzf.hdf5');
  await writeSyntheticLibero(path, { lengths: [4], imageSize: 8 });
  runPython(`
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    data = f['data/demo_0/actions'][()]
    del f['data/demo_0/actions']
    f.create_dataset('data/demo_0/actions', data=data, compression='lzf', chunks=(2, 7))
`, [path]);
  try {
    await openSequenceDataset([source(path)], liberoSpec(16));
    assert.unreachable('should refuse');
  } catch (error) {
    assert.is((error as InputError).code, 'data/unsupported-filter');
    assert.match((error as Error).message, '"lzf" filter (id 32000)');
    assert.match((error as Error).message, 'member "data/demo_0/actions"');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
