/**
 * Hostile and broken inputs, each of which a reader must refuse with a typed error naming the file:
 * code-execution payloads made by CPython's own pickler (whose execution would create a marker
 * file), unknown globals, deep nesting, memo abuse, lying lengths, 1 MB text opcodes, bytes that
 * are not UTF-8, zips re-written by Python's zipfile with broken compressed or duplicated members,
 * safetensors headers that lie, and remap files of garbage. Used by the suite and by
 * bench/fuzz-checkpoint.ts.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { pickleBytes, u32, writeTorchZipWith } from './checkpoint-bytes.ts';
import { SYSTEM_PYTHON } from './torch.ts';

/** One hostile file: its name (the extension says which reader) and bytes. */
export interface HostileCase {
  name: string;
  bytes: Uint8Array;
}

const PROTO = [0x80, 0x02];
const STOP = 0x2e;
const MIB = 2 ** 20;

// Each payload, if it ran, would create `<markers>/<name>`. Written by CPython in protocols 0, 2 and 4,
// bare (read as legacy torch, behind valid magic/protocol/sys-info pickles) and inside a torch zip.
const PAYLOADS = String.raw`
import os, pickle, subprocess, builtins, shutil, sys, zipfile, io
markers, out = sys.argv[1], sys.argv[2]
def touch(name): return os.path.join(markers, name)
class System:
    def __reduce__(self): return (os.system, ('touch ' + touch(self.name),))
class Popen:
    def __reduce__(self): return (subprocess.Popen, (['touch', touch(self.name)],))
class Exec:
    def __reduce__(self): return (builtins.exec, ('open(%r, "w").close()' % touch(self.name),))
class Eval:
    def __reduce__(self): return (builtins.eval, ('open(%r, "w")' % touch(self.name),))
class CopyFile:
    def __reduce__(self): return (shutil.copyfile, (sys.executable, touch(self.name)))
legacy_head = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2) + pickle.dumps({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2)
for cls in (System, Popen, Exec, Eval, CopyFile):
    for protocol in (0, 2, 4):
        name = '%s-p%d' % (cls.__name__, protocol)
        evil = cls(); evil.name = name
        tree = {'model': {'nets': {'w': evil}}, 'epoch': 1}
        data = pickle.dumps(tree, protocol=protocol)
        open(os.path.join(out, name + '.pkl'), 'wb').write(data)
        if protocol == 2:
            open(os.path.join(out, name + '-legacy.pth'), 'wb').write(legacy_head + data)
# zips the way torch lays them out, written by zipfile: members compressed (then damaged) and duplicated.
data = pickle.dumps({'w': 1}, protocol=2)
def zip_with(name, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for member, payload, method in members:
            archive.writestr(zipfile.ZipInfo(member), payload, compress_type=method)
    open(os.path.join(out, name), 'wb').write(buffer.getvalue())
import warnings; warnings.simplefilter('ignore')
zip_with('zip-duplicate-pickle.pth', [('a/data.pkl', data, zipfile.ZIP_STORED), ('a/data.pkl', pickle.dumps({'x': 2}, protocol=2), zipfile.ZIP_STORED), ('a/version', b'3\n', zipfile.ZIP_STORED)])
zip_with('zip-two-pickles.pth', [('a/data.pkl', data, zipfile.ZIP_STORED), ('b/data.pkl', data, zipfile.ZIP_STORED)])
zip_with('zip-bzip2.pth', [('a/data.pkl', data, zipfile.ZIP_BZIP2), ('a/version', b'3\n', zipfile.ZIP_STORED)])
zip_with('zip-lzma.pth', [('a/data.pkl', data, zipfile.ZIP_LZMA)])
# A deflate bomb: 64 MiB that compress to 64 KiB, declared (local header and directory) as 1,000 bytes.
zip_with('zip-deflate-bomb.pth', [('a/data.pkl', pickle.dumps({'w': b'\0' * (64 << 20)}, protocol=4), zipfile.ZIP_DEFLATED)])
bomb = bytearray(open(os.path.join(out, 'zip-deflate-bomb.pth'), 'rb').read())
for signature, field in ((b'PK\x03\x04', 22), (b'PK\x01\x02', 24)):
    at = bomb.find(signature) + field
    bomb[at:at + 4] = (1000).to_bytes(4, 'little')
open(os.path.join(out, 'zip-deflate-bomb.pth'), 'wb').write(bomb)
zip_with('zip-deflated-payload.pth', [('a/data.pkl', open(os.path.join(out, 'System-p2.pkl'), 'rb').read(), zipfile.ZIP_DEFLATED), ('a/version', b'3\n', zipfile.ZIP_STORED)])
`;

/** Writes CPython-made payloads into `<dir>/cpython` (each would touch a file in `markers`); returns them. */
function cpythonCases(dir: string, markers: string): Array<{ name: string; bytes: Uint8Array; kind: 'pickle' | 'file' }> {
  const out = join(dir, 'cpython');
  mkdirSync(out, { recursive: true });
  execFileSync(SYSTEM_PYTHON, ['-c', PAYLOADS, markers, out]);
  return readdirSync(out)
    .filter((name) => /\.(pkl|pth)$/.test(name))
    .map((name) => ({ name, bytes: Uint8Array.from(readFileSync(join(out, name))), kind: name.endsWith('.pkl') ? ('pickle' as const) : ('file' as const) }));
}

/**
 * The control that makes "nothing executed" mean something: CPython's own `pickle.load` of the
 * os.system payload that makeHostileCases wrapped (after it wrote into `dir`). Returns the marker
 * it should have created in `markers`.
 */
export function executeWithCPython(dir: string, markers: string): string {
  execFileSync(SYSTEM_PYTHON, ['-c', 'import pickle, sys; pickle.load(open(sys.argv[1], "rb"))', join(dir, 'cpython', 'System-p2.pkl')]);
  return join(markers, 'System-p2');
}

function repeat(pattern: number[], times: number): Uint8Array {
  const bytes = new Uint8Array(pattern.length * times);
  for (let index = 0; index < bytes.length; index++) bytes[index] = pattern[index % pattern.length]!;
  return bytes;
}

/** Pickles built opcode by opcode that abuse the unpickler's structures and limits; each is refused. */
function abusivePickles(): Array<[string, Uint8Array]> {
  const depth = 100_000;
  const memoBomb: Array<number | Uint8Array> = [0x4e];
  for (let level = 0; level < 60; level++) memoBomb.push(0x71, level, 0x68, level, 0x86);
  return [
    ['unknown-global', pickleBytes(...PROTO, 'cfoo.bar\nbaz\n', 0x29, 0x52, STOP)],
    ['unknown-torch-global', pickleBytes(...PROTO, 'ctorch\n_C\n', STOP)],
    ['stack-global-unknown', pickleBytes(0x80, 4, 0x8c, 2, 'os', 0x8c, 6, 'system', 0x93, STOP)],
    ['inst-opcode', pickleBytes(...PROTO, 0x28, 'iposix\nsystem\n', STOP)],
    ['obj-opcode', pickleBytes(...PROTO, 0x28, 'cposix\nsystem\n', 'X', u32(2), 'id', 0x6f, STOP)],
    ['newobj-ex', pickleBytes(0x80, 4, 'ccollections\nOrderedDict\n', 0x29, 0x7d, 0x92, STOP)],
    ['ext-registry', pickleBytes(...PROTO, 0x82, 1, STOP)],
    ['deep-lists', pickleBytes(...PROTO, new Uint8Array(depth).fill(0x5d), new Uint8Array(depth - 1).fill(0x61), STOP)],
    ['deep-marks', pickleBytes(...PROTO, new Uint8Array(depth).fill(0x28), STOP)],
    ['deep-dicts', pickleBytes(...PROTO, repeat([0x7d, 0x4b, 1], depth), 0x7d, new Uint8Array(depth).fill(0x73), STOP)],
    ['memo-get-unset', pickleBytes(...PROTO, 0x68, 7, STOP)],
    ['memo-long-get-huge', pickleBytes(...PROTO, 0x6a, u32(0xffffffff), STOP)],
    ['memo-self-cycle', pickleBytes(...PROTO, 0x5d, 0x71, 0, 0x68, 0, 0x61, STOP)],
    ['memo-shared-bomb', pickleBytes(...PROTO, ...memoBomb, STOP)],
    ['memo-flood', pickleBytes(0x80, 4, 0x4e, new Uint8Array(2_000_000).fill(0x94), STOP)],
    ['lying-binunicode', pickleBytes(...PROTO, 'X', u32(0xfffffff0), 'abc', STOP)],
    ['lying-binbytes8', pickleBytes(0x80, 4, 0x8e, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), STOP)],
    ['lying-long4', pickleBytes(...PROTO, 0x8b, u32(0x7fffffff), STOP)],
    ['lying-frame', pickleBytes(0x80, 4, 0x95, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]), 0x4e, STOP)],
    ['lying-short-binstring', pickleBytes(...PROTO, 'U', 200, 'ab', STOP)],
    ['non-utf8-binunicode', pickleBytes(...PROTO, 'X', u32(4), Uint8Array.of(0xff, 0xfe, 0xc3, 0x28), STOP)],
    ['non-utf8-global', pickleBytes(...PROTO, 'c', Uint8Array.of(0xff, 0xfe), '\nx\n', STOP)],
    ['mb-line-global', pickleBytes(...PROTO, 'c', 'a'.repeat(MIB), '\nb\n', STOP)],
    ['mb-line-int', pickleBytes(...PROTO, 'I', '9'.repeat(MIB), '\n', STOP)],
    ['mb-line-long', pickleBytes(...PROTO, 'L', '9'.repeat(MIB), 'L\n', STOP)],
    ['mb-line-unicode', pickleBytes(...PROTO, 'V', 'x'.repeat(MIB), STOP)],
    ['no-stop', pickleBytes(...PROTO, 0x5d, 0x5d)],
    ['stack-underflow', pickleBytes(...PROTO, 0x61, STOP)],
    ['unknown-opcode', pickleBytes(...PROTO, 0xfe, STOP)],
  ];
}

/** safetensors files whose header lies, nests deeply, runs 1 MB on or is not UTF-8. */
function hostileSafetensors(): Array<[string, Uint8Array]> {
  const file = (header: string | Uint8Array, declared?: bigint, tail = new Uint8Array(16)) => {
    const text = typeof header === 'string' ? Buffer.from(header) : header;
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(declared ?? BigInt(text.length));
    return Uint8Array.from(Buffer.concat([prefix, text, tail]));
  };
  const entry = (value: object) => JSON.stringify({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, ...value });
  return [
    ['st-deep-json', file(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`)],
    ['st-non-utf8', file(Uint8Array.from([...Buffer.from('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"'), 0xff, 0xfe, ...Buffer.from('":1}')]))],
    ['st-mb-key', file(entry({ ['k'.repeat(MIB)]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }))],
    ['st-header-past-end', file('{"w":1}', 2n ** 40n)],
    ['st-offsets-reversed', file(entry({ v: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }))],
    ['st-offsets-huge', file(entry({ v: { dtype: 'F32', shape: [2 ** 40], data_offsets: [0, 2 ** 42] } }))],
    ['st-shape-lies', file(entry({ v: { dtype: 'F32', shape: [3], data_offsets: [0, 4] } }))],
    ['st-unknown-dtype', file(entry({ v: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }))],
    ['st-not-object', file('[1,2,3]     ')],
  ];
}

/** Writes every hostile checkpoint's parts into `dir` (payloads pointing at `markers`); returns the cases. */
export async function makeHostileCases(dir: string, markers: string): Promise<HostileCase[]> {
  const wrapped = join(dir, 'wrapped.pth');
  const inTorchZip = async (pickle: Uint8Array) => {
    await writeTorchZipWith(wrapped, pickle);
    return Uint8Array.from(readFileSync(wrapped));
  };
  const cases: HostileCase[] = [];
  for (const made of cpythonCases(dir, markers)) {
    cases.push(made.kind === 'pickle' ? { name: made.name.replace(/\.pkl$/, '-zip.pth'), bytes: await inTorchZip(made.bytes) } : made);
  }
  for (const [name, pickle] of abusivePickles()) cases.push({ name: `${name}.pth`, bytes: await inTorchZip(pickle) });
  for (const [name, bytes] of hostileSafetensors()) cases.push({ name: `${name}.safetensors`, bytes });
  return cases;
}

/** Remap files that are garbage: random bytes, 1 MB lines, bytes that are not UTF-8, deep brackets, NULs. */
export function garbageRemaps(random: () => number): HostileCase[] {
  const bytes = (length: number) => Uint8Array.from({ length }, () => Math.floor(random() * 256));
  const text = (value: string) => Uint8Array.from(Buffer.from(value));
  return [
    { name: 'random-bytes.remap', bytes: bytes(200_000) },
    { name: 'mb-line.remap', bytes: text(`${'a'.repeat(MIB)} -> b\n`) },
    { name: 'mb-quoted.remap', bytes: text(`"${'q'.repeat(MIB)}" -> b\n`) },
    { name: 'mb-brackets.remap', bytes: text(`x -> ${'['.repeat(MIB)}\n`) },
    { name: 'not-utf8.remap', bytes: Uint8Array.of(...Buffer.from('drop a'), 0xff, 0xfe, ...Buffer.from(' \n')) },
    { name: 'latin1.remap', bytes: Uint8Array.of(...Buffer.from('caf'), 0xe9, ...Buffer.from(' -> x\n')) },
    { name: 'deep-captures.remap', bytes: text(`a.${'{'.repeat(100_000)}\n`) },
    { name: 'nul-bytes.remap', bytes: Uint8Array.of(...Buffer.from('drop a'), 0, 0, ...Buffer.from('\n')) },
    { name: 'many-errors.remap', bytes: text('foo\n'.repeat(2_000)) },
    { name: 'binary-checkpoint.remap', bytes: pickleBytes(...PROTO, 'cposix\nsystem\n', STOP) },
  ];
}
