/**
 * The valid checkpoints fuzzing starts from: our small torch zip and safetensors, and — where
 * torch is installed — small files written by torch.save in both its formats.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSmallCheckpoint } from './checkpoint-bytes.ts';
import { hasTorch, runPython } from './torch.ts';

/** Writes the bases into `dir`; returns each one's name and bytes. */
export async function makeFuzzBases(dir: string): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const names = ['ours.pth', 'ours.safetensors'];
  await writeSmallCheckpoint(join(dir, names[0]!));
  await writeSmallCheckpoint(join(dir, names[1]!), 'safetensors');
  if (hasTorch) {
    runPython(
      `import torch, sys, os, collections
base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
tree = {'model': {'nets': collections.OrderedDict([('w', base), ('t', base.transpose(0, 2)), ('h', torch.ones(3, dtype=torch.float16))])}, 'epoch': 2, 'lr': 1.5e-4, 'keys': ['a', ('b', -3)]}
torch.save(tree, os.path.join(sys.argv[1], 'torch.pth'))
torch.save(tree, os.path.join(sys.argv[1], 'legacy.pth'), _use_new_zipfile_serialization=False)`,
      [dir],
    );
    names.push('torch.pth', 'legacy.pth');
  }
  return names.map((name) => ({ name, bytes: Uint8Array.from(readFileSync(join(dir, name))) }));
}
