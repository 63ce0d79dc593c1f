import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inlineReader, workerReader } from '../../src/data/batch-prefetcher.ts';
import { readBatch } from '../../src/data/read-batch.ts';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { drawRandomizers, randomizeImages } from '../../src/model/randomize-images.ts';
import { tinyConfigJson } from '../train/tiny-run.ts';
import { createBatchSampler } from '../../src/data/batch-sampler.ts';
import { openSequenceDataset } from '../../src/data/sequence-dataset.ts';
import { writeSyntheticLibero } from '../../src/data/write-synthetic-libero.ts';
import type { DataSpec } from '../../src/data/data-spec.ts';
import { createRng } from '../../src/random/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-prefetch-'));
const spec: DataSpec = {
  obsKeys: [{ name: 'agentview_rgb', kind: 'rgb' }, { name: 'gripper_states', kind: 'low_dim' }],
  actionKeys: ['actions'],
  actionNormalization: { actions: 'none' },
  frameStack: 2,
  seqLength: 8,
  padFrameStack: true,
  padSeqLength: true,
  obsHorizon: 2,
  predictionHorizon: 8,
};

test('the worker thread reads the same batches as the main thread, in request order', async () => {
  const path = join(dir, 'a.hdf5');
  await writeSyntheticLibero(path, { lengths: [6, 9], imageSize: 16, seed: 1 });
  const sources = [{ path, weight: 1, filterKey: null, demoLimit: null }];
  const ds = await openSequenceDataset(sources, spec);
  const worker = await workerReader(sources, ds);
  const inline = inlineReader(ds);
  const sampler = createBatchSampler(ds, 4, createRng(7).uniform);
  const requests = [sampler.next(), sampler.next(), sampler.next()];
  // Two requests in flight at once, as the trainer keeps one ahead.
  const results = await Promise.all(requests.map((refs) => worker.read(refs)));
  for (let i = 0; i < requests.length; i++) {
    const expected = await inline.read(requests[i]!);
    assert.equal(Array.from(results[i]!.actions.data), Array.from(expected.actions.data));
    assert.equal(Array.from(results[i]!.obs['agentview_rgb']!.data), Array.from(expected.obs['agentview_rgb']!.data));
    assert.equal(results[i]!.refs, requests[i]);
  }
  await worker.close();
  ds.close();
});

test('with randomizer draws, both readers return the batch randomized as on the main thread', async () => {
  const path = join(dir, 'r.hdf5');
  await writeSyntheticLibero(path, { lengths: [7], imageSize: 16, seed: 2 });
  const sources = [{ path, weight: 1, filterKey: null, demoLimit: null }];
  const ds = await openSequenceDataset(sources, spec);
  const json = tinyConfigJson();
  json.observation.image_dim = [16, 16];
  json.observation.encoder.rgb.obs_randomizer_class = ['ColorRandomizer', 'CropRandomizer'];
  json.observation.encoder.rgb.obs_randomizer_kwargs = [{}, { crop_height: 12, crop_width: 12, num_crops: 2, pos_enc: false }];
  const { config } = validatePolicyConfig(json, 'tiny.json', { acDim: 7, allShapes: new Map([['agentview_rgb', [3, 16, 16]], ['ee_pos', [3]], ['gripper_states', [2]]]) });
  const randomizers = { obsKeys: config.obsKeys, rgb: config.rgb };
  const worker = await workerReader(sources, ds, randomizers);
  const refs = createBatchSampler(ds, 3, createRng(4).uniform).next();
  const draws = drawRandomizers(config, refs.length * spec.obsHorizon, createRng(5).uniform);
  const plain = readBatch(ds, refs);
  const expected = randomizeImages(config, plain.obs, draws)['agentview_rgb']!;
  assert.equal(expected.shape, [3, 2, 2, 12, 12, 3]);
  for (const batch of [await worker.read(refs, draws), await inlineReader(ds, randomizers).read(refs, draws)]) {
    assert.equal(batch.obs['agentview_rgb']!.shape, expected.shape);
    assert.equal(Array.from(batch.obs['agentview_rgb']!.data), Array.from(expected.data));
    assert.equal(Array.from(batch.obs['gripper_states']!.data), Array.from(plain.obs['gripper_states']!.data));
  }
  await worker.close();
  ds.close();
});

test('one file: each pass is a permutation with the last partial batch dropped', async () => {
  const path = join(dir, 'b.hdf5');
  await writeSyntheticLibero(path, { lengths: [5, 6], imageSize: 8 });
  const ds = await openSequenceDataset([{ path, weight: 1, filterKey: null, demoLimit: null }], spec);
  const sampler = createBatchSampler(ds, 3, createRng(1).uniform);
  assert.is(sampler.batchesPerPass, 3);
  sampler.startEpoch();
  const seen = [sampler.next(), sampler.next(), sampler.next()].flat().map((r) => `${r.demo}:${r.t}`);
  assert.is(new Set(seen).size, 9, 'no sample repeats within a pass');
  ds.close();
});

test('several files: draws follow the file weights', async () => {
  const a = join(dir, 'c.hdf5');
  const b = join(dir, 'd.hdf5');
  await writeSyntheticLibero(a, { lengths: [10], imageSize: 8 });
  await writeSyntheticLibero(b, { lengths: [10], imageSize: 8 });
  const ds = await openSequenceDataset(
    [
      { path: a, weight: 3, filterKey: null, demoLimit: null },
      { path: b, weight: 1, filterKey: null, demoLimit: null },
    ],
    spec,
  );
  const sampler = createBatchSampler(ds, 20, createRng(3).uniform);
  let fromA = 0;
  for (let i = 0; i < 200; i++) fromA += sampler.next().filter((r) => r.file === 0).length;
  const share = fromA / 4000;
  assert.ok(share > 0.72 && share < 0.78, `share of file a: ${share}`);
  ds.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
