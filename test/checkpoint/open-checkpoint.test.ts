import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectFormat, openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { storageReadStats } from '../../src/checkpoint/storage-bytes.ts';
import { ourDump, torchDumps } from '../support/checkpoint-dump.ts';
import { hasTorch } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const fixtures = readdirSync(REFERENCE_DIR).filter((name) => name.endsWith('.pth')).map((name) => join(REFERENCE_DIR, name));

test('the reference folder holds the robomimic fixtures', () => {
  assert.ok(fixtures.length >= 7, fixtures.join(', '));
});

(hasTorch ? test : test.skip)('every reference checkpoint and parity file: every value, tensor, alias and _metadata equals torch.load', async () => {
  const expected = torchDumps(fixtures);
  for (const [index, path] of fixtures.entries()) {
    assert.equal(await ourDump((await openCheckpoint(path)).root), expected[index], path);
  }
});

test('opening reads only the directory and the pickle: no tensor bytes', async () => {
  for (const path of fixtures) {
    const before = storageReadStats();
    const checkpoint = await openCheckpoint(path);
    assert.equal(storageReadStats(), before);
    assert.is(checkpoint.format, 'torch-zip');
    assert.is(checkpoint.archiveName, path.split('/').pop()!.replace(/\.pth$/, ''));
    assert.ok(checkpoint.stateDicts.length > 0);
  }
});

test('a robomimic checkpoint exposes model.nets and model.ema with the same keys and _metadata', async () => {
  const checkpoint = await openCheckpoint(join(REFERENCE_DIR, 'fork_droid_tiny.ckpt.pth'));
  assert.equal(checkpoint.stateDicts.map((entry) => entry.name), ['model.nets', 'model.ema']);
  const [nets, ema] = checkpoint.stateDicts;
  assert.equal([...nets!.tensors.keys()], [...ema!.tensors.keys()]);
  assert.equal(nets!.path, ['model', 'nets']);
  assert.ok(nets!.dict.metadata !== undefined);
});

test('formats are recognised by content, including a safetensors header whose length starts with "PK"', () => {
  const safetensors = new Uint8Array(16);
  new DataView(safetensors.buffer).setBigUint64(0, 0x4b50n, true);
  safetensors[8] = 0x7b;
  assert.is(detectFormat(safetensors, 0x4b50 + 8), 'safetensors');
  assert.is(detectFormat(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 8, 8, 0, 0), 100), 'torch-zip');
  assert.is(detectFormat(Uint8Array.of(0x80, 0x02, 0x8a, 0x0a), 100), 'torch-legacy');
  assert.is(detectFormat(Buffer.from('hello world, not a checkpoint'), 100), undefined);
});

test.run();
