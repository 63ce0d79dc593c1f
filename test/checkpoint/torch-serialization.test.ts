/**
 * PyTorch's own serialization cases (test/support/torch-serialization-cases.ts), made by real
 * torch: each readable one reads exactly as torch loads it, converts through `surgery convert`
 * to a torch zip that torch loads with weights_only=True with values, strides and storage sharing
 * intact, and (flat state dicts) to safetensors torch reads the same values from; the rest are
 * refused with an error that names the file, the member, the key and the global, and says what to do.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { storageReadStats } from '../../src/checkpoint/storage-bytes.ts';
import { readZipDirectory, resolveDataOffset } from '../../src/checkpoint/zip/read-zip-directory.ts';
import { createCli } from '../../src/cli/create-cli.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { InputError } from '../../src/input-error.ts';
import { ourDump, torchDumps, type Canon } from '../support/checkpoint-dump.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import {
  convertedPath,
  FLAT_CASES,
  makeSerializationCases,
  READABLE_CASES,
  type SerializationCase,
} from '../support/torch-serialization-cases.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-serialization-'));
const interop = hasTorch ? test : test.skip;
let cases = {} as Record<SerializationCase, string>;
/** torch's own rendering of each readable case, loaded once. */
let expected = new Map<string, Canon>();

test.before(() => {
  if (!hasTorch) return;
  mkdirSync(join(dir, 'converted'));
  cases = makeSerializationCases(dir);
  const dumps = torchDumps(READABLE_CASES.map((name) => cases[name]));
  expected = new Map(READABLE_CASES.map((name, index) => [name, dumps[index]!]));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `surgery convert` in-process; returns what it printed. */
async function convert(args: string[]): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
  try {
    await createCli(['convert', ...args, '--no-fsync']).parseAsync();
  } finally {
    process.stdout.write = write;
  }
  return printed;
}

/** Returns each tensor of a flat dict's dump as [key, dtype, shape, sha256 of its values], for comparing by value only. */
function tensorValues(dump: Canon): Canon[] {
  return (dump as { dict: Array<[Canon, { tensor: Record<string, Canon> }]> }).dict.map(([key, { tensor }]) => [key, tensor.dtype!, tensor.shape!, tensor.sha256!]);
}

/** Returns each tensor of a flat dict's dump as [key, stride, offset, sha256]: its view of the storage, not which storage. */
function tensorLayout(dump: Canon): Canon[] {
  return (dump as { dict: Array<[Canon, { tensor: Record<string, Canon> }]> }).dict.map(([key, { tensor }]) => [key, tensor.stride!, tensor.offset!, tensor.sha256!]);
}

async function refusal(path: string): Promise<InputError> {
  try {
    await openCheckpoint(path);
  } catch (error) {
    assert.instance(error, InputError);
    return error as InputError;
  }
  assert.unreachable(`${path} was read`);
  throw new Error('unreachable');
}

interop('every readable case reads exactly as torch loads it', async () => {
  for (const name of READABLE_CASES) {
    const checkpoint = await openCheckpoint(cases[name]);
    assert.is(checkpoint.format, name.startsWith('legacy') ? 'torch-legacy' : 'torch-zip', name);
    assert.equal(await ourDump(checkpoint.root), expected.get(name), name);
  }
});

interop('the archive folder comes from data.pkl, not the file name', async () => {
  assert.is((await openCheckpoint(cases.renamed)).archiveName, 'saved_as');
  assert.is((await openCheckpoint(cases.from_buffer)).archiveName, 'archive');
  assert.is((await openCheckpoint(cases.aligned_4096)).archiveName, 'archive');
});

interop('the newer-torch files hold the records and alignment they claim', async () => {
  for (const [name, alignment] of [['newer_torch', 64], ['aligned_4096', 4096]] as const) {
    const entries = await readZipDirectory(cases[name]);
    const records = entries.map((entry) => entry.name.slice(entry.name.indexOf('/') + 1));
    for (const record of ['.format_version', '.storage_alignment', 'byteorder', '.data/serialization_id', 'version', 'data/0']) {
      assert.ok(records.includes(record), `${name} has ${record}`);
    }
    for (const entry of entries.filter((candidate) => candidate.name.includes('/data/'))) {
      assert.is((await resolveDataOffset(cases[name], entry, statSync(cases[name]).size)) % alignment, 0, `${entry.name} is ${alignment}-byte aligned`);
    }
  }
});

interop('every readable case converts to a torch zip, and flat ones to safetensors and back, that load with weights_only=True, values, strides and sharing intact', async () => {
  const outputs = READABLE_CASES.map((name) => convertedPath(dir, name, '.pth'));
  for (const [index, name] of READABLE_CASES.entries()) {
    assert.match(await convert([cases[name], outputs[index]!]), /: torch-zip, whole checkpoint, /);
  }
  // The archive folder is named after the output, so a name with spaces and non-ASCII letters goes into the zip.
  const unicodeName = join(dir, 'converted', 'vues caf\u00e9 \u2603.pth');
  await convert([cases.views, unicodeName]);
  // safetensors keeps no views, so coming back each tensor is its own contiguous copy.
  const back = FLAT_CASES.map((name) => convertedPath(dir, `${name}-back`, '.pth'));
  for (const [index, name] of FLAT_CASES.entries()) {
    assert.match(await convert([cases[name], convertedPath(dir, name, '.safetensors')]), /: safetensors, state dict "<root>", /);
    await convert([convertedPath(dir, name, '.safetensors'), back[index]!]);
  }
  // A state dict inside a tree: to safetensors and back, and alone to a torch zip that keeps its views.
  const state = [convertedPath(dir, 'state-back', '.pth'), convertedPath(dir, 'state', '.pth')];
  assert.match(await convert([cases.containers, convertedPath(dir, 'state', '.safetensors'), '--state-dict', 'state']), /: safetensors, state dict "state", /);
  await convert([convertedPath(dir, 'state', '.safetensors'), state[0]!]);
  assert.match(await convert([cases.containers, state[1]!, '--state-dict', 'state']), /: torch-zip, state dict "state", /);
  const reloaded = torchDumps([...outputs, unicodeName, ...back, ...state], { weightsOnly: true });
  const expectedState = (expected.get('containers') as { dict: Array<[Canon, Canon]> }).dict.find(([key]) => key === 'state')![1];
  const [stateBack, stateAlone] = reloaded.slice(-2) as [Canon, Canon];
  assert.equal(tensorValues(stateBack), tensorValues(expectedState), 'state through safetensors');
  assert.equal(tensorLayout(stateAlone), tensorLayout(expectedState), 'state alone keeps its views');
  assert.equal(new Set((stateAlone as { dict: Array<[Canon, { tensor: Record<string, Canon> }]> }).dict.map(([, { tensor }]) => tensor.storage)).size, 1, 'of one storage');
  READABLE_CASES.forEach((name, index) => assert.equal(reloaded[index], expected.get(name), name));
  assert.equal(reloaded[outputs.length], expected.get('views'), unicodeName);
  FLAT_CASES.forEach((name, index) => assert.equal(tensorValues(reloaded[outputs.length + 1 + index]!), tensorValues(expected.get(name)!), `${name} through safetensors`));
  // The dumps number storages by torch's storage().data_ptr(), so equal dumps mean equal sharing; spelled out for the views:
  const views = new Map(((reloaded[0] as { dict: Array<[string, { tensor: Record<string, Canon> }]> }).dict).map(([key, { tensor }]) => [key, tensor]));
  assert.is(views.get('transposed')!.storage, views.get('base')!.storage);
  assert.is(views.get('window_t')!.storage, views.get('base')!.storage);
  assert.is.not(views.get('own')!.storage, views.get('base')!.storage);
  assert.equal(views.get('expanded')!.stride, ['0', '1']);
  assert.equal(views.get('expanded_0d')!.stride, ['0', '0']);
  assert.equal(views.get('overlapping')!.stride, ['1', '1']);
  assert.is(views.get('param_row')!.storage, views.get('param')!.storage);
  assert.equal([views.get('param')!.parameter, views.get('frozen')!.requiresGrad, views.get('leaf_requires_grad')!.requiresGrad], [true, false, true]);
});

interop('the safetensors written above hold, byte for byte, the values torch loads from the source', () => {
  const verdict = runPython(String.raw`
import sys, json, struct, torch
DTYPES = {'F16': torch.float16, 'BF16': torch.bfloat16, 'F32': torch.float32, 'F64': torch.float64, 'I8': torch.int8,
          'I16': torch.int16, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8, 'BOOL': torch.bool, 'C64': torch.complex64}
args = sys.argv[1:]
for safetensors, source in zip(args[0::2], args[1::2]):
    raw = open(safetensors, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    theirs = torch.load(source)
    assert n % 8 == 0 and header.pop('__metadata__') == {'format': 'pt'} and list(header) == list(theirs), safetensors
    end = 0
    for key, entry in header.items():
        b, e = entry['data_offsets']
        dtype = DTYPES[entry['dtype']]
        flat = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        assert b == end and dtype == theirs[key].dtype and torch.equal(flat.reshape(entry['shape']), theirs[key]), (safetensors, key)
        end = e
    assert 8 + n + end == len(raw), safetensors
print('ok')
`, FLAT_CASES.flatMap((name) => [convertedPath(dir, name, '.safetensors'), cases[name]]));
  assert.is(verdict.trim(), 'ok');
});

interop('a whole nn.Module is refused by name before anything runs; the CLI exits 3', async () => {
  const before = storageReadStats();
  const error = await refusal(cases.module);
  assert.is(error.code, 'format/unsafe-global');
  assert.is(error.file, cases.module);
  assert.equal([error.where.member, error.where.key], ['module/data.pkl', undefined], 'the module is the root: no key');
  assert.match(error.detail, /"torch\.nn\.modules\.linear\.Linear", which is not on the allow-list; nothing was executed\. If you made this file, it is a whole nn\.Module: save model\.state_dict\(\) instead of the model\./);
  assert.equal(storageReadStats(), before, 'no tensor bytes were read');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../examples/surgery-cli.ts'), 'convert', cases.module, join(dir, 'module-out.pth')], { encoding: 'utf8' });
  assert.is(cli.status, EXIT.unreadable);
  assert.match(cli.stderr, /module\.pth \(member "module\/data\.pkl", offset \d+\): the pickle references the global "torch\.nn\.modules\.linear\.Linear"/);
});

interop('sparse and quantized tensors are refused with what to save instead', async () => {
  const sparse = await refusal(cases.sparse);
  assert.is(sparse.code, 'format/unsupported-tensor');
  assert.is(sparse.where.member, 'sparse/data.pkl');
  assert.match(sparse.message, /sparse\.pth \(member "sparse\/data\.pkl", key "model\.nets\.emb\.weight", offset \d+\): the pickle holds a sparse tensor; save it dense \(tensor\.to_dense\(\)\) instead \("torch\._utils\._rebuild_sparse_tensor" is not read; nothing was executed\)\./);
  const framed = await refusal(cases.sparse_protocol4);
  assert.equal([framed.code, framed.where.key], ['format/unsupported-tensor', 'model.nets.emb.weight']);
  const quantized = await refusal(cases.quantized);
  assert.is(quantized.code, 'format/unsupported-tensor');
  assert.is(quantized.where.key, 'layers.1.1.q');
  assert.match(quantized.detail, /a quantized tensor; save tensor\.dequantize\(\)/);
});

interop('meta tensors, dtypes surgery does not read, bare storages and TorchScript archives are refused with what to do instead', async () => {
  const meta = await refusal(cases.meta);
  assert.is(meta.code, 'format/unsupported-tensor');
  assert.match(meta.detail, /^the pickle holds a meta tensor, which has no data; save a real tensor instead/);
  const complex128 = await refusal(cases.complex128);
  assert.is(complex128.code, 'format/unsupported-tensor');
  assert.is(complex128.where.key, 'c', 'the key of a tensor refused at its storage class');
  assert.match(complex128.detail, /^the pickle holds a tensor stored as "torch\.ComplexDoubleStorage", a dtype surgery does not read \(nothing was executed\); save it converted to one of float64, float32, .*complex64 instead\.$/);
  const v3 = await refusal(cases.rebuild_v3);
  assert.is(v3.code, 'format/unsupported-tensor');
  assert.match(v3.detail, /^the pickle holds a tensor of a dtype that has no legacy storage class \(float8, uint16, \.\.\.\)/);
  const storage = await refusal(cases.bare_storage);
  assert.is(storage.code, 'format/unsupported-value');
  assert.is(storage.where.member, 'bare_storage/data.pkl');
  assert.match(storage.detail, /^a bare storage appears as a value; surgery reads tensors, not storages\. Save a tensor over it instead/);
  const script = await refusal(cases.torchscript);
  assert.is(script.code, 'format/torchscript');
  assert.is(script.where.member, 'torchscript/constants.pkl');
  assert.match(script.detail, /load it with torch\.jit\.load and torch\.save its state_dict\(\) instead\.$/);
});

interop('a big-endian checkpoint is refused, naming its byteorder record and how to convert it', async () => {
  const error = await refusal(cases.big_endian);
  assert.is(error.code, 'format/bad-byteorder');
  assert.is(error.where.member, 'archive/byteorder');
  assert.is(error.detail, 'the checkpoint is "big"-endian; only little-endian checkpoints are supported. Load it with torch 2.1 or newer, which swaps the bytes, and save it again.');
});

test.run();
