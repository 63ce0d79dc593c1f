/**
 * The benchmarks' input: a ~1 GB robomimic-like checkpoint made by real PyTorch from the full-size
 * DROID key/shape schema. `model.nets` and `model.ema` are two state dicts with the same keys and
 * different values; as in DROID, each camera-2 tensor is the camera-1 tensor (one storage) and
 * each encoder's `nets.0.nets.*` aliases its `backbone.nets.*`; both carry `_metadata`, and the
 * checkpoint holds robomimic's config, shape metadata and normalisation stats.
 */
import { execFileSync } from 'node:child_process';
import { REFERENCE_DIR } from '../../test/support/reference.ts';

/** The interpreter with torch 1.13 (the `python3` on PATH has none). */
export const PYTHON = '/usr/bin/python3';

const SCHEMA = `${REFERENCE_DIR}full_size/droid_nets.tsv`;

const MAKE = String.raw`
import sys, json, collections, torch
schema, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
def state_dict():
    sd, cache = collections.OrderedDict(), {}
    for line in open(schema):
        key, shape, dtype = line.rstrip('\n').split('\t')
        canonical = key.replace('varied_camera_2', 'varied_camera_1').replace('.nets.0.nets.', '.backbone.nets.')
        if canonical not in cache:
            dims = [int(d) for d in shape.split('x')] if shape else []
            cache[canonical] = torch.rand(dims).to(getattr(torch, dtype)) if dtype.startswith('float') else torch.zeros(dims, dtype=getattr(torch, dtype))
        sd[key] = cache[canonical]
    modules = sorted({''} | {p for k in sd for p in [k[:i] for i in range(len(k)) if k[i] == '.']})
    sd._metadata = collections.OrderedDict((m, {'version': 1}) for m in modules)
    return sd
ckpt = {'model': {'nets': state_dict(), 'ema': state_dict()}, 'config': json.dumps({'algo_name': 'diffusion_policy', 'train': {'batch_size': 128}}),
        'algo_name': 'diffusion_policy', 'env_metadata': {'env_name': 'droid'},
        'shape_metadata': {'ac_dim': 10, 'all_shapes': collections.OrderedDict([('camera/image/varied_camera_1_left_image', [3, 128, 128])]), 'use_images': True},
        'action_normalization_stats': collections.OrderedDict([('action/abs_pos', {'scale': [[0.9] * 3], 'offset': [[0.0] * 3]})])}
torch.save(ckpt, out)
`;

/** Returns nothing; writes the checkpoint to `path` with torch.save (takes a while: ~1 GB of random tensors). */
export function makeRobomimicCheckpoint(path: string): void {
  execFileSync(PYTHON, ['-c', MAKE, SCHEMA, path], { stdio: 'inherit' });
}
