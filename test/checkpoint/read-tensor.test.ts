/**
 * readTensor / readTensorAsFloat32 / tensorFromArray against real torch: every dtype's raw
 * elements and float32 conversion, strided views, and half-precision rounding of new tensors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { isTensor, pyDict } from '../../src/checkpoint/py-value.ts';
import { readTensor, readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import { tensorFromArray } from '../../src/checkpoint/tensor-from-array.ts';
import type { DType, Tensor } from '../../src/checkpoint/types.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { hasTorch, runPython } from '../support/torch.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-tensor-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const interop = hasTorch ? test : test.skip;
const DTYPES: DType[] = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64'];

interop('readTensorAsFloat32 equals torch .float() for every real dtype, and views gather in order', async () => {
  const path = join(dir, 'mixed.pth');
  const expected = JSON.parse(runPython(`import torch, sys, json
torch.manual_seed(3)
base = torch.randn(4, 5, 6)
values = {'f64': torch.randn(3, 2, dtype=torch.float64), 'f16': (torch.randn(7) * 1e3).half(), 'bf16': torch.randn(2, 2).bfloat16(),
          'i64': torch.tensor([-2**40, 3, 2**52]), 'u8': torch.tensor([0, 200, 255], dtype=torch.uint8), 'b': torch.tensor([True, False]),
          'i8': torch.tensor([-128, 127], dtype=torch.int8), 'view': base.permute(2, 0, 1)[1:, ::2, 3], 'scalar': base[1, 2, 3]}
torch.save(values, sys.argv[1])
print(json.dumps({k: [float(x) for x in v.float().reshape(-1).tolist()] for k, v in values.items()}))`, [path])) as Record<string, number[]>;
  const checkpoint = await openCheckpoint(path);
  const root = checkpoint.stateDicts[0]!.tensors;
  for (const [key, values] of Object.entries(expected)) {
    assert.equal(Array.from(await readTensorAsFloat32(root.get(key)!)), Array.from(Float32Array.from(values)), key);
  }
});

interop('new tensors of every dtype (converted from numbers) load in torch as torch converts them', async () => {
  const numbers = [0, 1, -1.5, 0.1, 65519.9, 1e-7, 3.3e38, -2.5, 127.6, 300];
  const tensors = new Map<string, Tensor>();
  for (const dtype of DTYPES) {
    const data = dtype === 'complex64' ? numbers.flatMap((value) => [value, -value]) : numbers.filter((value) => !dtype.startsWith('int') && dtype !== 'uint8' || Math.abs(value) < 100);
    tensors.set(dtype, tensorFromArray(data, [dtype === 'complex64' ? numbers.length : data.length], dtype));
  }
  const path = join(dir, 'new.pth');
  await writeCheckpoint(path, pyDict([...tensors]), { format: 'torch-zip' });
  const verdict = runPython(`import torch, sys
numbers = [0, 1, -1.5, 0.1, 65519.9, 1e-7, 3.3e38, -2.5, 127.6, 300]
loaded = torch.load(sys.argv[1], weights_only=True)
bad = []
for name, t in loaded.items():
    dtype = getattr(torch, name)
    if dtype == torch.complex64:
        want = torch.tensor([complex(v, -v) for v in numbers], dtype=dtype)
    elif dtype == torch.float64:
        want = torch.tensor(numbers, dtype=dtype)
    elif dtype.is_floating_point:
        want = torch.tensor(numbers, dtype=torch.float64).to(torch.float32).to(dtype)
    elif dtype == torch.bool:
        want = torch.tensor(numbers) != 0
    else:
        want = torch.tensor([v for v in numbers if abs(v) < 100], dtype=torch.float64).to(dtype)
    if not torch.equal(t, want) and not (dtype.is_floating_point and torch.equal(t.isnan(), want.isnan()) and torch.equal(t[~t.isnan()], want[~want.isnan()])):
        bad.append((name, t.tolist(), want.tolist()))
print(bad)`, [path]);
  assert.is(verdict.trim(), '[]');
});

test('readTensor returns raw elements in the documented arrays, and copies memory storages', async () => {
  const half = tensorFromArray(Uint16Array.of(0x3c00, 0xc000), [2], 'float16');
  assert.equal(Array.from(await readTensorAsFloat32(half)), [1, -2]);
  const source = tensorFromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const column: Tensor = { ...source, storageOffset: 1, shape: [2], stride: [3] };
  const raw = (await readTensor(column)) as Float32Array;
  assert.instance(raw, Float32Array);
  assert.equal(Array.from(raw), [2, 5]);
  raw[0] = 99;
  assert.equal(Array.from((await readTensor(source)) as Float32Array), [1, 2, 3, 4, 5, 6], 'the storage is not aliased by the result');
  assert.instance(await readTensor(tensorFromArray(BigInt64Array.of(-1n), [1])), BigInt64Array);
  assert.ok(isTensor(source));
});

test.run();
