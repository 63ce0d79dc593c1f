/**
 * Checkpoints made by real `torch.save` for interop tests: every dtype (with 0-d and empty
 * tensors and special float values), views sharing one storage, parameters, a module state dict
 * with `_metadata` and a submodule registered twice (robomimic's aliasing), and a nested
 * robomimic-like tree with optimizer state and plain Python values. Each is written in the
 * current zip format and in the legacy format.
 */
import { join } from 'node:path';
import { runPython } from './torch.ts';

/** The Python that builds the module whose state dict `state_dict.pth` holds (also used to load it back). */
export const TORCH_MODULE = String.raw`
import torch, torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.BatchNorm2d(4)
        self.group = nn.GroupNorm(2, 4)
        self.head = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
        self.alias = self.head
`;

const MAKE = String.raw`
import sys, os, json, collections
${TORCH_MODULE}
out = sys.argv[1]
torch.manual_seed(1)
DTYPES = [torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16,
          torch.int8, torch.uint8, torch.bool, torch.complex64]
def sample(dt, shape):
    if dt == torch.bool:
        return torch.rand(shape) > 0.5
    if dt == torch.complex64:
        return torch.randn(shape, dtype=dt)
    if dt.is_floating_point:
        return (torch.randn(shape) * 100).to(dt)
    info = torch.iinfo(dt)
    return torch.randint(info.min, info.max, shape, dtype=dt)
every = collections.OrderedDict()
for dt in DTYPES:
    name = str(dt)[6:]
    every[name] = sample(dt, (3, 4))
    every[name + '.scalar'] = sample(dt, ())
    every[name + '.empty'] = sample(dt, (0, 3))
every['float32.special'] = torch.tensor([float('nan'), float('inf'), -float('inf'), -0.0, 1e-45, 3.4e38])
every['float16.special'] = torch.tensor([float('nan'), float('inf'), -0.0, 6e-8, 65504.0], dtype=torch.float16)
every['bfloat16.special'] = torch.tensor([float('nan'), -float('inf'), -0.0, 1e-40, 3e38], dtype=torch.bfloat16)
base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
views = collections.OrderedDict([
    ('base', base), ('transposed', base.transpose(0, 2)), ('slice', base[1]), ('strided', base[:, ::2, 1:]),
    ('element', base[2, 3, 4]), ('expanded', torch.arange(3.0).expand(4, 3)), ('row', base[2, 1:3]),
    ('int_view', torch.arange(10, dtype=torch.int64)[3:7]),
])
params = collections.OrderedDict([
    ('weight', nn.Parameter(torch.randn(2, 3))),
    ('frozen', nn.Parameter(torch.randn(3), requires_grad=False)),
    ('leaf', torch.randn(2).requires_grad_()),
])
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net.head(torch.randn(2, 4)).sum().backward()
opt.step()
tree = {
    'model': {'nets': net.state_dict(), 'ema': net.state_dict()},
    'optimizers': {'policy': opt.state_dict()},
    'config': json.dumps({'algo': {'lr': 1e-4}}),
    'algo_name': 'diffusion_policy',
    'env_metadata': {},
    'shape_metadata': {'ac_dim': 7, 'all_shapes': collections.OrderedDict([('a', [3, 128, 128])]), 'use_images': True},
    'variable_state': {'epoch': 3, 'best': None, 'big': 2**70, 'neg': -5, 'negbig': -2**40, 'minus_huge': -2**100,
                       'one': 1.0, 'half': 0.5, 'nan': float('nan'), 'raw': b'\x00\xff\x80', 'empty_bytes': b'',
                       'tuple': (1, (2, 3), ()), 'list': [1, [2], []], 'flags': [True, False],
                       'int_keys': {0: 'a', 1: 'b', -1: 'c', 2**40: 'd'}, 'unicode': 'caf\u00e9 \u2603'},
}
files = {'dtypes': every, 'views': views, 'params': params, 'state_dict': net.state_dict(), 'tree': tree}
for name, value in files.items():
    torch.save(value, os.path.join(out, name + '.pth'))
    torch.save(value, os.path.join(out, name + '.legacy.pth'), _use_new_zipfile_serialization=False)
print(json.dumps(sorted(files)))
`;

/** The fixtures' base names, each written as `<name>.pth` and `<name>.legacy.pth`. */
export const TORCH_FIXTURES = ['dtypes', 'params', 'state_dict', 'tree', 'views'] as const;

/** Writes the fixtures into `dir`; returns every file written, current and legacy format. */
export function makeTorchFixtures(dir: string): string[] {
  const made = JSON.parse(runPython(MAKE, [dir])) as string[];
  if (made.join() !== TORCH_FIXTURES.join()) throw new Error(`fixture script made ${made.join()}`);
  return TORCH_FIXTURES.flatMap((name) => [fixturePath(dir, name), fixturePath(dir, name, true)]);
}

/** Returns the path of fixture `name` in `dir`, current or legacy format. */
export function fixturePath(dir: string, name: string, legacy = false): string {
  return join(dir, legacy ? `${name}.legacy.pth` : `${name}.pth`);
}
