/**
 * Hostile checkpoints built byte by byte: unknown globals and __reduce__ payloads, lying sizes
 * and offsets, truncation everywhere, huge declared counts, deep nesting, shared-reference
 * bombs. Each must end in a typed InputError naming the file (and offset where one exists),
 * quickly and without memory blow-up; nothing may execute.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/input-error.ts';
import { readZipDirectory } from '../../src/checkpoint/zip/read-zip-directory.ts';
import { MAX_MEMO_ENTRIES } from '../../src/checkpoint/pickle/check-pickle.ts';
import { loadEverything } from '../support/checkpoint-fuzz.ts';
import { pickleBytes, u32, writeBytes, writeSmallCheckpoint, writeTorchZipWith } from '../support/checkpoint-bytes.ts';
import { hasTorch, runPython } from '../support/torch.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-hostile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const PROTO = [0x80, 0x02];
const STOP = 0x2e;
/** Every hostile case must be refused well within this (the slowest is the 100k-deep nesting). */
const MAX_CASE_MS = 3000;

/** Loads `path` completely and returns the typed error it must raise. */
async function refusal(path: string): Promise<InputError> {
  const started = performance.now();
  try {
    await loadEverything(path);
  } catch (error) {
    assert.ok(performance.now() - started < MAX_CASE_MS, `refused in ${Math.round(performance.now() - started)} ms`);
    if (!(error instanceof InputError)) throw error;
    assert.ok(error.message.startsWith(path), `the message names the file: ${error.message}`);
    return error;
  }
  throw new Error(`${path} was accepted`);
}

async function refusePickle(name: string, pickle: Uint8Array, storages: Array<[string, Uint8Array]> = []): Promise<InputError> {
  const path = join(dir, `${name}.pth`);
  await writeTorchZipWith(path, pickle, storages);
  const error = await refusal(path);
  assert.is(error.where.member, 'archive/data.pkl');
  assert.type(error.where.offset, 'number');
  return error;
}

test('posix.system is refused before anything runs, naming the global and its offset', async () => {
  const marker = join(dir, 'pwned');
  const error = await refusePickle('system', pickleBytes(...PROTO, 'cposix\nsystem\n', 'X', u32(marker.length + 6), `touch ${marker}`, 0x85, 0x52, STOP));
  assert.is(error.code, 'format/unsafe-global');
  assert.match(error.detail, /"posix\.system"/);
  assert.is(error.where.offset! % 64, 2, 'the offset is the GLOBAL opcode, two bytes into the 64-byte-aligned pickle');
  assert.not.ok(existsSync(marker));
});

test('a real __reduce__ payload made by CPython is refused and nothing executes', async () => {
  const marker = join(dir, 'reduced');
  const hex = runPython(`import os, pickle\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch ${marker}',))\nprint(pickle.dumps({'w': Evil()}, protocol=2).hex())`);
  const error = await refusePickle('reduce', Uint8Array.from(Buffer.from(hex.trim(), 'hex')));
  assert.is(error.code, 'format/unsafe-global');
  assert.not.ok(existsSync(marker));
});

test('every other dangerous global is refused by name', async () => {
  for (const name of ['builtins\neval', '__builtin__\ngetattr', 'torch\nload', 'subprocess\nPopen', 'numpy.core.multiarray\n_reconstruct']) {
    const error = await refusePickle('global', pickleBytes(...PROTO, `c${name}\n`, 0x29, 0x52, STOP));
    assert.is(error.code, 'format/unsafe-global');
    assert.ok(error.detail.includes(`"${name.replace('\n', '.')}"`), error.detail);
  }
});

test('class instantiation, text persistent ids and BUILD on a list are refused', async () => {
  const cases: Array<[string, Uint8Array]> = [
    ['format/unsafe-pickle', pickleBytes(...PROTO, 'ccollections\nOrderedDict\n', 0x29, 0x81, STOP)],
    ['format/unsafe-pickle', pickleBytes(...PROTO, 'Pstorage\n', STOP)],
    ['format/unsafe-pickle', pickleBytes(...PROTO, 0x5d, 0x7d, 'X', u32(6), 'length', 'J', u32(1e9), 0x73, 0x62, STOP)],
  ];
  for (const [code, pickle] of cases) assert.is((await refusePickle('shape', pickle)).code, code);
});

test('huge declared lengths are caught without allocating them', async () => {
  const before = process.memoryUsage().rss;
  assert.is((await refusePickle('string', pickleBytes(...PROTO, 'X', u32(0xfffffff0), 'abc', STOP))).code, 'format/truncated');
  assert.is((await refusePickle('long4', pickleBytes(...PROTO, 0x8b, u32(0x7fffffff), STOP))).code, 'format/pickle-limit');
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'no large allocation');
});

test('a MEMOIZE flood past MAX_MEMO_ENTRIES is refused at the first entry too many', async () => {
  const flood = pickleBytes(0x80, 4, 0x4e, new Uint8Array(MAX_MEMO_ENTRIES + 1).fill(0x94), STOP);
  const memo = await refusePickle('memo-flood', flood);
  assert.equal([memo.code, memo.where.offset! % 64], ['format/pickle-limit', (3 + MAX_MEMO_ENTRIES) % 64], 'at the first MEMOIZE past the limit');
});

test('a frame longer than the rest of the pickle is refused as truncated', async () => {
  const frame = await refusePickle('frame', pickleBytes(0x80, 4, 0x95, u32(12), u32(0), 0x4e, STOP)); // shorter than the whole pickle, longer than what follows
  assert.equal([frame.code, frame.detail], ['format/truncated', 'a 12-byte frame runs past the end of the pickle; it is truncated.']);
});

test('a string that is not UTF-8 is refused, as Python refuses it', async () => {
  const text = await refusePickle('not-utf8', pickleBytes(...PROTO, 'X', u32(2), Uint8Array.of(0xc3, 0x28), STOP));
  assert.equal([text.code, text.detail], ['format/bad-pickle', 'a string is not valid UTF-8.']);
});

test('deep nesting, self-containing lists and shared-reference bombs are refused', async () => {
  const depth = 100_000;
  const deep = pickleBytes(...PROTO, new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61), STOP);
  assert.is((await refusePickle('deep', deep)).code, 'format/pickle-limit');
  const cycle = pickleBytes(...PROTO, 0x5d, 0x71, 0, 0x68, 0, 0x61, STOP);
  assert.is((await refusePickle('cycle', cycle)).code, 'format/unsupported-value');
  // Each level is a list holding the previous level twice: 2^60 leaves through the memo.
  const levels: Array<number | Uint8Array> = [0x4e];
  for (let level = 0; level < 60; level++) levels.push(0x71, level, 0x68, level, 0x86);
  assert.is((await refusePickle('bomb', pickleBytes(...PROTO, ...levels, STOP))).code, 'format/pickle-limit');
});

test('storages: missing member, lying element count, view outside its storage, absurd rank', async () => {
  const tensor = (numel: number, shape: number[], key = '0') =>
    pickleBytes(...PROTO, 'ctorch._utils\n_rebuild_tensor_v2\n', 0x28, 0x28, 'X', u32(7), 'storage', 'ctorch\nFloatStorage\n', 'X', u32(key.length), key, 'X', u32(3), 'cpu', 'J', u32(numel), 0x74, 0x51, 'K', 0, 0x28, ...shape.flatMap((dim) => ['J', u32(dim)]), 0x74, 0x28, ...shape.map(() => pickleBytes('K', 1)), 0x74, 0x89, 'ccollections\nOrderedDict\n', 0x29, 0x52, 0x74, 0x52, STOP);
  const storage: Array<[string, Uint8Array]> = [['0', new Uint8Array(16)]];
  assert.is((await refusePickle('missing', tensor(4, [4], '9'), storage)).code, 'format/missing-storage');
  assert.is((await refusePickle('numel', tensor(2 ** 30, [4]), storage)).code, 'format/storage-size');
  assert.is((await refusePickle('view', tensor(4, [5]), storage)).code, 'format/view-out-of-bounds');
  assert.is((await refusePickle('rank', tensor(4, new Array(65).fill(1)), storage)).code, 'format/bad-tensor');
});

/** Returns a valid small checkpoint's bytes and the offsets of its zip records. */
async function smallZip(): Promise<{ bytes: Uint8Array; endRecord: number; zip64End: number; central: number }> {
  const path = join(dir, 'small.pth');
  await writeSmallCheckpoint(path);
  const bytes = Uint8Array.from(readFileSync(path));
  const find = (signature: number) => Buffer.from(bytes).lastIndexOf(Buffer.from(u32(signature)));
  return { bytes, endRecord: find(0x06054b50), zip64End: find(0x06064b50), central: Buffer.from(bytes).indexOf(Buffer.from(u32(0x02014b50))) };
}

test('zip records with lying sizes, counts and offsets are refused with the record\'s offset', async () => {
  const { bytes, endRecord, zip64End, central } = await smallZip();
  const lies: Array<[string, number, number | bigint]> = [
    ['directory offset past the file', zip64End + 48, 0xfffffffn],
    ['entry count far too high', zip64End + 32, 2n ** 40n],
    ['directory size past the end record', zip64End + 40, 0xffffffn],
    ['local header offset past the file', central + 42, 0x7ffffff0],
    ['member size past the file', central + 20, 0x7ffffff0],
    ['name length past the directory', central + 28, 0xffff],
  ];
  for (const [what, at, value] of lies) {
    const damaged = bytes.slice();
    const view = new DataView(damaged.buffer);
    if (typeof value === 'bigint') view.setBigUint64(at, value, true);
    else if (value > 0xffff || at === central + 42 || at === central + 20) view.setUint32(at, value, true);
    else view.setUint16(at, value, true);
    const path = join(dir, 'lie.pth');
    await writeBytes(path, damaged);
    const error = await refusal(path);
    assert.match(error.code, /^format\//, what);
    assert.type(error.where.offset, 'number', what);
  }
  assert.ok(endRecord > zip64End, 'the classic end record follows the zip64 one');
});

test('a checkpoint truncated at every byte is refused', async () => {
  const { bytes } = await smallZip();
  const path = join(dir, 'cut.pth');
  for (let length = 0; length < bytes.length; length++) {
    await writeBytes(path, bytes.subarray(0, length));
    await refusal(path);
  }
});

test('a safetensors file truncated at every byte, or with a lying header, is refused', async () => {
  const path = join(dir, 'small.safetensors');
  await writeSmallCheckpoint(path, 'safetensors');
  const bytes = Uint8Array.from(readFileSync(path));
  const cut = join(dir, 'cut.safetensors');
  for (let length = 0; length < bytes.length; length++) {
    await writeBytes(cut, bytes.subarray(0, length));
    await refusal(cut);
  }
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString()) as Record<string, { data_offsets: number[]; dtype: string }>;
  const lies: Array<(copy: typeof header) => void> = [
    (copy) => (copy.w!.data_offsets = [0, 10_000]),
    (copy) => (copy.b!.data_offsets = [0, 12]),
    (copy) => (copy.w!.dtype = 'F8_E4M3'),
  ];
  for (const lie of lies) {
    const copy = structuredClone(header);
    lie(copy);
    const text = Buffer.from(JSON.stringify(copy));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(text.length));
    await writeBytes(cut, Buffer.concat([prefix, text, bytes.subarray(8 + headerLength)]));
    assert.is((await refusal(cut)).code, 'format/safetensors-header');
  }
});

(hasTorch ? test : test.skip)('a legacy torch checkpoint truncated at every byte is refused', async () => {
  const path = join(dir, 'legacy.pth');
  runPython(`import torch, sys\ntorch.save({'w': torch.arange(6.0).reshape(2, 3), 'n': 3}, sys.argv[1], _use_new_zipfile_serialization=False)`, [path]);
  const bytes = Uint8Array.from(readFileSync(path));
  assert.is(await loadEverything(path), 1);
  const cut = join(dir, 'cut-legacy.pth');
  for (let length = 0; length < bytes.length; length++) {
    await writeBytes(cut, bytes.subarray(0, length));
    await refusal(cut);
  }
});

test('a valid small checkpoint loads (the damage above is what breaks it)', async () => {
  const { bytes } = await smallZip();
  const path = join(dir, 'intact.pth');
  await writeBytes(path, bytes);
  assert.is(await loadEverything(path), 3);
  assert.ok((await readZipDirectory(path)).length >= 4);
});

test.run();
