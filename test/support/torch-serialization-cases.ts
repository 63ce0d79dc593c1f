/**
 * The cases of PyTorch's own test_serialization that matter to a checkpoint reader, made by real
 * `torch.save` in one Python process: views sharing one storage, every dtype, 0-d and empty
 * tensors, empty and nested containers, the legacy format, every pickle protocol torch can load,
 * thousands of tensors, storages saved on a GPU, an archive folder named unlike its file, the
 * records newer torch writes, and the things torch can save but surgery refuses (a whole
 * nn.Module, sparse, quantized and meta tensors, dtypes it does not read, a bare storage,
 * TorchScript, a big-endian file).
 *
 * Debian's torch 1.13 does not write the records newer torch adds (`.format_version`,
 * `.storage_alignment`, `byteorder`, `.data/serialization_id`), so those files are assembled as
 * torch ≥ 2.1's `_save` and `PyTorchStreamWriter::writeEndOfFile` lay them out: data.pkl,
 * .format_version "1", .storage_alignment, byteorder "little", data/<key> in key order, version
 * "3\n", .data/serialization_id (two 20-digit numbers), each member's data aligned by an "FB"
 * padding extra field.
 */
import { join } from 'node:path';
import { runPython } from './torch.ts';

const MAKE = String.raw`
import sys, os, io, json, struct, zipfile, zlib, collections, torch, torch.nn as nn
out = sys.argv[1]
made = {}
def path(name):
    made[name] = os.path.join(out, name + '.pth')
    return made[name]
def save(name, value, **kw):
    torch.save(value, path(name), **kw)

torch.manual_seed(0)
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict([
    ('base', base), ('row', base[2]), ('column', base[1:, 3]), ('transposed', base.t()),
    ('strided', base[::2, 1::3]), ('window_t', base[1:3, 2:5].t()), ('expanded', base[0, 1:6].expand(3, 5)),
    ('expanded_0d', base[3, 5].expand(2, 2)), ('element', base[1, 1]), ('empty_at_end', base.reshape(-1)[24:]),
    ('empty_rows', base[2:2]), ('again', base), ('own', torch.tensor([7.0, 8.0])),
    ('overlapping', base.reshape(-1).as_strided((4, 3), (1, 1), 2)), ('permuted', base.reshape(2, 3, 4).permute(2, 0, 1)),
    ('unsqueezed', base[:, None, 2:4]),
])
weight = nn.Parameter(torch.randn(3, 4))
views.update([('param', weight), ('param_row', weight.data[1]), ('frozen', nn.Parameter(torch.ones(2), requires_grad=False)),
              ('leaf_requires_grad', torch.ones(3).requires_grad_())])
dtypes = collections.OrderedDict()
for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
           torch.int64, torch.uint8, torch.bool, torch.complex64]:
    if dt == torch.bool:
        t = torch.rand(3, 4) > 0.5
    elif dt == torch.complex64:
        t = torch.randn(3, 4, dtype=dt)
    else:
        t = (torch.randn(3, 4) * 60).to(dt)
    name = str(dt)[6:]
    dtypes[name], dtypes[name + '.t'], dtypes[name + '.0d'] = t, t.t(), t[1, 2]
    dtypes[name + '.empty'], dtypes[name + '.expand'] = t[:0], t[0, 1:2].expand(2, 3)
    dtypes[name + '.fresh_0d'], dtypes[name + '.fresh_empty'] = torch.zeros((), dtype=dt), torch.zeros(0, 5, dtype=dt)
containers = {
    'empty_dict': {}, 'empty_list': [], 'empty_tuple': (), 'empty_odict': collections.OrderedDict(), 'none': None,
    'nested': {'a': [base[0], (base[1], [base.t(), {}])], 'b': ({'c': base[2:, 1:]},), 'deep': [[[[()]]]]},
    'int_keys': {0: base[3], 7: torch.zeros(0, 2), -1: [base]}, 'tensors_in_list': [torch.ones(2), torch.ones(2, dtype=torch.int64)],
    'state': collections.OrderedDict([('w', base[1:3]), ('w_t', base.t()), ('b', base[0, ::2])]),
    'odd_keys': {'': base[0, 0], 'cl\u00e9 \u2603': base[1], 'k' * 300: base[2], True: 'yes', None: 'none', 2**70: 'big'},
}
# Python batches SETITEMS by 1000 and memo indices pass 255 (LONG_BINPUT): a state dict of over a thousand tensors.
many = collections.OrderedDict(('layer%d.weight' % i, torch.full((2,), float(i))) for i in range(1100))
for i in range(0, 1100, 100):
    many['alias%d' % i] = many['layer%d.weight' % i][1:]

save('views', views)
save('dtypes', dtypes)
save('containers', containers)
save('legacy_views', views, _use_new_zipfile_serialization=False)
save('legacy_dtypes', dtypes, _use_new_zipfile_serialization=False)
save('legacy_containers', containers, _use_new_zipfile_serialization=False)
for protocol in [1, 3, 4, 5]:
    save('protocol%d' % protocol, containers, pickle_protocol=protocol)
    save('legacy_protocol%d' % protocol, views, _use_new_zipfile_serialization=False, pickle_protocol=protocol)
save('many', many)
# A checkpoint saved on a GPU records its storages' device ("cuda:0"); surgery reads it anywhere.
real_location_tag = torch.serialization.location_tag
torch.serialization.location_tag = lambda storage: 'cuda:0'
save('cuda_saved', views)
save('legacy_cuda_saved', views, _use_new_zipfile_serialization=False)
torch.serialization.location_tag = real_location_tag
torch.save(views, os.path.join(out, 'saved_as.pth'))
os.rename(os.path.join(out, 'saved_as.pth'), path('renamed'))
buffer = io.BytesIO()
torch.save(views, buffer)  # a file object: the archive folder is "archive"
open(path('from_buffer'), 'wb').write(buffer.getvalue())

def records_of(value):
    buffer = io.BytesIO()
    torch.save(value, buffer)
    archive = zipfile.ZipFile(buffer)
    records = {name.split('/', 1)[1]: archive.read(name) for name in archive.namelist()}
    storages = sorted((name for name in records if name.startswith('data/')), key=lambda name: int(name[5:]))
    return records['data.pkl'], [(name, records[name]) for name in storages]
# torch's id is c10::hash_combine over record names and CRCs, printed as two zero-padded 20-digit numbers; readers only see the digits.
def serialization_id(names, datas):
    return ('%020d%020d' % (zlib.crc32('|'.join(names).encode()), sum(zlib.crc32(d) for d in datas) % 10**20)).encode()
def newer_torch_records(value, alignment):
    pickle, storages = records_of(value)
    head = [('data.pkl', pickle), ('.format_version', b'1'), ('.storage_alignment', str(alignment).encode()), ('byteorder', b'little')]
    records = head + storages + [('version', b'3\n')]
    return records + [('.data/serialization_id', serialization_id([n for n, _ in records], [d for _, d in records]))]

# torch's own zip writer (miniz, 64-byte alignment) writes the newer records; only the version
# record is left to it, as writeEndOfFile adds it.
writer = torch._C.PyTorchFileWriter(path('newer_torch'))
for name, data in newer_torch_records(views, 64):
    if name != 'version':
        writer.write_record(name, data, len(data))
writer.write_end_of_file()

# torch >= 2.5 can align storages to any power of two (torch.utils.serialization.config.save.storage_alignment).
def write_aligned(target, archive_name, records, alignment):
    with zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(archive_name + '/' + name, date_time=(1980, 1, 1, 0, 0, 0))
            start = archive.fp.tell() + 30 + len(info.filename) + 4
            pad = (-start) % alignment
            info.extra = b'FB' + struct.pack('<H', pad) + b'Z' * pad
            archive.writestr(info, data)
write_aligned(path('aligned_4096'), 'archive', newer_torch_records(views, 4096), 4096)
# A big-endian machine writes byteorder "big"; the record alone decides the refusal, so the elements stay as they are.
write_aligned(path('big_endian'), 'archive', [(n, b'big' if n == 'byteorder' else d) for n, d in newer_torch_records(views, 64)], 64)

save('module', nn.Linear(2, 2))
# Nested under keys, so the refusal can name where the tensor is; protocol 4 memoizes and frames the same tree.
# An empty dict before it, and lists and tuples around the quantized one, are the shapes a key search can get wrong.
with_sparse = {'env_metadata': {}, 'model': {'nets': collections.OrderedDict([('dense', torch.ones(2)), ('emb.weight', torch.eye(3).to_sparse())])}}
save('sparse', with_sparse)
save('sparse_protocol4', with_sparse, pickle_protocol=4)
save('quantized', {'layers': [{}, (torch.ones(1), {'q': torch.quantize_per_tensor(torch.randn(4), 0.1, 0, torch.qint8)})]})
save('meta', {'m': torch.empty(2, 3, device='meta')})
save('complex128', {'c': torch.randn(2, dtype=torch.complex128)})
# torch >= 2.1 saves float8 and uint16..64 through _rebuild_tensor_v3; the refusal happens at that global,
# so the rest of the pickle stays torch 1.13's.
pickle, storages = records_of({'f8': torch.ones(2)})
write_aligned(path('rebuild_v3'), 'archive', [('data.pkl', pickle.replace(b'_rebuild_tensor_v2', b'_rebuild_tensor_v3'))] + storages + [('version', b'3\n')], 64)
save('bare_storage', {'s': torch.arange(3.0).storage()})
torch.jit.save(torch.jit.script(nn.Linear(2, 2)), path('torchscript'))
print(json.dumps(made))
`;

/** Cases torch reads and surgery must read, convert and write back exactly. */
export const READABLE_CASES = [
  'views', 'dtypes', 'containers', 'legacy_views', 'legacy_dtypes', 'legacy_containers',
  'protocol1', 'protocol3', 'protocol4', 'protocol5', 'legacy_protocol1', 'legacy_protocol3', 'legacy_protocol4', 'legacy_protocol5',
  'many', 'cuda_saved', 'legacy_cuda_saved', 'renamed', 'from_buffer', 'newer_torch', 'aligned_4096',
] as const;

/** Cases whose root is one flat dict of tensors, so they also convert to safetensors. */
export const FLAT_CASES = ['views', 'dtypes', 'many', 'newer_torch'] as const;

/** Cases torch can save that surgery refuses. */
export const REFUSED_CASES = ['module', 'sparse', 'sparse_protocol4', 'quantized', 'meta', 'complex128', 'rebuild_v3', 'bare_storage', 'torchscript', 'big_endian'] as const;

export type SerializationCase = (typeof READABLE_CASES)[number] | (typeof REFUSED_CASES)[number];

/** Writes every case into `dir` with one Python run; returns each case's path. */
export function makeSerializationCases(dir: string): Record<SerializationCase, string> {
  const made = JSON.parse(runPython(MAKE, [dir])) as Record<string, string>;
  const expected = [...READABLE_CASES, ...REFUSED_CASES].sort();
  if (Object.keys(made).sort().join() !== expected.join()) throw new Error(`the case script made ${Object.keys(made).sort().join()}`);
  return made as Record<SerializationCase, string>;
}

/** Returns where `convert` writes case `name` in `dir`. */
export function convertedPath(dir: string, name: string, extension: '.pth' | '.safetensors'): string {
  return join(dir, 'converted', `${name}${extension}`);
}
