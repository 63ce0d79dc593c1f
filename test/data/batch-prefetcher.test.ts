import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inlineReader, workerReader } from '../../src/data/batch-prefetcher.ts';
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
