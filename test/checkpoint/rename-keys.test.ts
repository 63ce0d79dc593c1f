import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { pyDict, setAtPath } from '../../src/checkpoint/py-value.ts';
import { renameKeys } from '../../src/checkpoint/rename-keys.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { hasTorch, runPython } from '../support/torch.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-rename-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('metadata module paths follow a prefix rename; the root module and unrelated paths stay', () => {
  const dict = pyDict([['module.a.w', 1], ['b.w', 2]], {
    metadata: pyDict([['', 0], ['module', 1], ['module.a', 2], ['b', 3]]),
  });
  const renamed = renameKeys(dict, (key) => key.replace(/^module\./, ''));
  assert.equal([...renamed.entries.keys()], ['a.w', 'b.w']);
  assert.equal([...(renamed.metadata as typeof dict).entries.keys()], ['', 'module', 'a', 'b']);
  assert.equal([...dict.entries.keys()], ['module.a.w', 'b.w'], 'the input is untouched');
});

(hasTorch ? test : test.skip)('a DataParallel state dict renamed by us loads strictly into the bare module, with versions kept', async () => {
  const source = join(dir, 'parallel.pth');
  runPython(`import torch, torch.nn as nn, sys
torch.manual_seed(0)
net = nn.DataParallel(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)))
torch.save({'model': {'nets': net.state_dict()}}, sys.argv[1])`, [source]);
  const checkpoint = await openCheckpoint(source);
  const [nets] = checkpoint.stateDicts;
  const out = join(dir, 'bare.pth');
  await writeCheckpoint(out, setAtPath(checkpoint.root, nets!.path, renameKeys(nets!.dict, (key) => key.replace(/^module\./, ''))), { format: 'torch-zip' });
  const verdict = runPython(`import torch, torch.nn as nn, sys
sd = torch.load(sys.argv[1])['model']['nets']
bare = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
print(bare.load_state_dict(sd, strict=True), sd._metadata['1'])`, [out]);
  assert.is(verdict.trim(), "<All keys matched successfully> {'version': 2}");
});

test.run();
