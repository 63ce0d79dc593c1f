import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { storageReadStats } from '../../src/checkpoint/storage-bytes.ts';
import { ourDump, torchDump } from '../support/checkpoint-dump.ts';
import { hasTorch } from '../support/torch.ts';

const REFERENCE = join(import.meta.dirname, '../../../shared/reference');
const fixtures = readdirSync(REFERENCE).filter((name) => name.endsWith('.pth'));

test('the reference folder holds the robomimic fixtures', () => {
  assert.ok(fixtures.length >= 7, fixtures.join(', '));
});

for (const name of fixtures) {
  const path = join(REFERENCE, name);
  (hasTorch ? test : test.skip)(`${name}: every value, tensor and alias equals torch.load`, async () => {
    const checkpoint = await openCheckpoint(path);
    assert.equal(await ourDump(checkpoint.root), torchDump(path));
  });

  test(`${name}: opening reads no tensor bytes`, async () => {
    const before = storageReadStats();
    const checkpoint = await openCheckpoint(path);
    assert.equal(storageReadStats(), before);
    assert.is(checkpoint.format, 'torch-zip');
    assert.is(checkpoint.archiveName, name.replace(/\.pth$/, ''));
    assert.ok(checkpoint.stateDicts.length > 0);
  });
}

test('a robomimic checkpoint exposes model.nets and model.ema with the same keys', async () => {
  const checkpoint = await openCheckpoint(join(REFERENCE, 'fork_droid_tiny.ckpt.pth'));
  assert.equal(checkpoint.stateDicts.map((entry) => entry.name), ['model.nets', 'model.ema']);
  const [nets, ema] = checkpoint.stateDicts;
  assert.equal([...nets!.tensors.keys()], [...ema!.tensors.keys()]);
  assert.equal(nets!.path, ['model', 'nets']);
  assert.ok(nets!.dict.metadata !== undefined, 'model.nets keeps its _metadata');
});

test.run();
