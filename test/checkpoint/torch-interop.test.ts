/**
 * Interop with real PyTorch both ways: files made by torch.save (current and legacy format) read
 * exactly, and files we write load in torch with identical keys, values, strides, aliasing and
 * _metadata, with weights_only=True, and into the module they came from with strict=True.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { readZipDirectory } from '../../src/checkpoint/zip/read-zip-directory.ts';
import { ourDump, torchDumps } from '../support/checkpoint-dump.ts';
import { fixturePath, makeTorchFixtures, TORCH_MODULE } from '../support/checkpoint-fixtures.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const CHECKPOINTS = ['fork_droid_tiny.ckpt.pth', 'fork_libero_tiny.ckpt.pth', 'upstream_libero_tiny.ckpt.pth'].map((name) => join(REFERENCE_DIR, name));
const dir = mkdtempSync(join(tmpdir(), 'surgery-interop-'));
const interop = hasTorch ? test : test.skip;
let sources: string[] = [];

test.before(() => {
  if (hasTorch) sources = makeTorchFixtures(dir);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes every source back through our reader and writer; returns the new paths. */
async function rewriteAll(paths: string[]): Promise<string[]> {
  const written: string[] = [];
  for (const path of paths) {
    const out = join(dir, `ours-${basename(path)}`);
    await writeCheckpoint(out, (await openCheckpoint(path)).root, { format: 'torch-zip' });
    written.push(out);
  }
  return written;
}

interop('torch.save files (every dtype, views, parameters, _metadata, nested trees; zip and legacy) read exactly', async () => {
  const expected = torchDumps(sources);
  for (const [index, path] of sources.entries()) {
    const checkpoint = await openCheckpoint(path);
    assert.is(checkpoint.format, path.endsWith('.legacy.pth') ? 'torch-legacy' : 'torch-zip');
    assert.equal(await ourDump(checkpoint.root), expected[index], path);
  }
});

interop('files we write load in torch with identical values, strides, aliasing and _metadata', async () => {
  const paths = [...sources, ...CHECKPOINTS];
  const written = await rewriteAll(paths);
  const expected = torchDumps(paths);
  const actual = torchDumps(written);
  paths.forEach((path, index) => assert.equal(actual[index], expected[index], path));
});

interop('a state dict we write loads with weights_only=True and load_state_dict(strict=True)', async () => {
  const [written] = await rewriteAll([fixturePath(dir, 'state_dict', true)]);
  const verdict = runPython(`${TORCH_MODULE}
import sys
ours = torch.load(sys.argv[1], weights_only=True)
theirs = torch.load(sys.argv[2])
net = Net()
for p in net.parameters(): p.data.zero_()
net.load_state_dict(ours, strict=True)
same = all(torch.equal(net.state_dict()[k], theirs[k]) for k in theirs)
aliased = ours['alias.0.weight'].data_ptr() == ours['head.0.weight'].data_ptr()
print(same, aliased, ours._metadata == theirs._metadata, list(ours) == list(theirs))
`, [written!, fixturePath(dir, 'state_dict')]);
  assert.is(verdict.trim(), 'True True True True');
});

interop('our zip: members 64-byte aligned, CRCs valid, version and byteorder records, each storage once', async () => {
  const [written] = await rewriteAll([CHECKPOINTS[0]!]);
  const report = runPython(String.raw`
import sys, zipfile, struct
z = zipfile.ZipFile(sys.argv[1])
raw = open(sys.argv[1], 'rb').read()
misaligned = []
for info in z.infolist():
    n, m = struct.unpack('<HH', raw[info.header_offset + 26:info.header_offset + 30])
    if (info.header_offset + 30 + n + m) % 64:
        misaligned.append(info.filename)
stem = z.namelist()[0].split('/')[0]
print(z.testzip(), misaligned, z.read(stem + '/version'), z.read(stem + '/byteorder'), z.infolist()[0].compress_type)
`, [written!]);
  assert.is(report.trim(), "None [] b'3\\n' b'little' 0");
  const source = await readZipDirectory(CHECKPOINTS[0]!);
  const ours = await readZipDirectory(written!);
  const storagesOf = (entries: typeof source) => entries.filter((entry) => entry.name.includes('/data/'));
  assert.is(storagesOf(ours).length, storagesOf(source).length, 'shared storages are written once');
  const sourceCrcs = new Set(storagesOf(source).map((entry) => entry.crc32));
  assert.ok(storagesOf(ours).every((entry) => sourceCrcs.has(entry.crc32)), 'untouched storages keep their CRC');
});

interop('a checkpoint re-zipped with DEFLATE members and data descriptors reads exactly and rewrites', async () => {
  const rezipped = join(dir, 'deflated.pth');
  runPython(String.raw`
import sys, io, zipfile
class Unseekable(io.RawIOBase):
    def __init__(self, f): self.f = f
    def writable(self): return True
    def write(self, b): return self.f.write(b)
with open(sys.argv[2], 'wb') as out:
    with zipfile.ZipFile(sys.argv[1]) as source, zipfile.ZipFile(Unseekable(out), 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
`, [CHECKPOINTS[0]!, rezipped]);
  const entries = await readZipDirectory(rezipped);
  assert.ok(entries.every((entry) => entry.method === 8), 'every member is deflated');
  const [expected] = torchDumps([CHECKPOINTS[0]!]);
  assert.equal(await ourDump((await openCheckpoint(rezipped)).root), expected);
  const [written] = await rewriteAll([rezipped]);
  assert.equal(await ourDump((await openCheckpoint(written!)).root), expected);
});

interop('safetensors we write parse with an independent reader and match torch', async () => {
  const source = fixturePath(dir, 'views');
  const out = join(dir, 'views.safetensors');
  await writeCheckpoint(out, (await openCheckpoint(source)).root, { format: 'safetensors', metadata: { format: 'pt' } });
  const verdict = runPython(String.raw`
import sys, json, struct, numpy, torch
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
theirs = torch.load(sys.argv[2])
ok = header.pop('__metadata__') == {'format': 'pt'} and n % 8 == 0 and list(header) == list(theirs)
for key, entry in header.items():
    b, e = entry['data_offsets']
    array = numpy.frombuffer(data[b:e], dtype=numpy.float32 if entry['dtype'] == 'F32' else numpy.int64).reshape(entry['shape'])
    ok = ok and torch.equal(torch.from_numpy(array.copy()), theirs[key].contiguous())
print(ok)
`, [out, source]);
  assert.is(verdict.trim(), 'True');
  const reread = await openCheckpoint(out);
  assert.is(reread.format, 'safetensors');
  assert.equal(reread.metadata, { format: 'pt' });
});

test.run();
