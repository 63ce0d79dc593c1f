import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseRemap, type Slice } from '../../grammar/index.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { readTensor } from '../../src/checkpoint/read-tensor.ts';
import { isDict } from '../../src/checkpoint/py-value.ts';
import { InputError } from '../../src/input-error.ts';
import { runApply } from '../../src/plan/run-apply.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { REFERENCE } from './plan-helpers.ts';

const DROID = `${REFERENCE}/fork_droid_tiny.ckpt.pth`;
const LIBERO = `${REFERENCE}/fork_libero_tiny.ckpt.pth`;
const dir = mkdtempSync(join(tmpdir(), 'surgery-apply-'));
const report = { format: 'json' as const, colour: false };
const TINY_REMAP = 'remaps/droid-to-libero-tiny.remap';

async function applyTiny(output: string, extra: Partial<Parameters<typeof runApply>[0]> = {}) {
  return runApply({ source: DROID, remaps: [TINY_REMAP], target: LIBERO, mode: 'strict', fill: true, output, ...report, ...extra });
}

// In real PyTorch: build a module whose parameters are exactly the target's keys and shapes, load each output state
// dict into it with strict=True, check every transferred tensor against the source bit for bit, and check that the
// combine.0.weight column blocks the remap assigns hold the source columns while the other columns are zero.
const VERIFY = String.raw`
import sys, json, torch
out, src, tgt, blocks = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
o = torch.load(out, map_location='cpu', weights_only=False)
s = torch.load(src, map_location='cpu'); t = torch.load(tgt, map_location='cpu')
def module_for(sd):
    root = torch.nn.Module()
    for key, value in sd.items():
        *path, leaf = key.split('.')
        m = root
        for p in path:
            if p not in m._modules: m.add_module(p, torch.nn.Module())
            m = m._modules[p]
        m.register_parameter(leaf, torch.nn.Parameter(torch.zeros_like(value)))
    return root
rename = lambda k: k.replace('agentview_rgb', 'camera/image/varied_camera_1_left_image').replace('eye_in_hand_rgb', 'camera/image/varied_camera_2_left_image')
res = {}
for sd in ['nets', 'ema']:
    O, T, S = o['model'][sd], t['model'][sd], s['model'][sd]
    result = module_for(T).load_state_dict(O, strict=True)
    identical = sum(1 for k, v in O.items() if rename(k) in S and S[rename(k)].shape == v.shape and torch.equal(S[rename(k)], v))
    differs = [k for k, v in O.items() if rename(k) in S and S[rename(k)].shape == v.shape and not torch.equal(S[rename(k)], v)]
    w, ws = O['policy.obs_encoder.module.combine.0.weight'], S['policy.obs_encoder.module.combine.0.weight']
    covered = torch.zeros_like(w)
    for (t0, t1), _ in blocks: covered[:, t0:t1] = 1
    res[sd] = {'missing': len(result.missing_keys), 'unexpected': len(result.unexpected_keys), 'keys_equal': list(O.keys()) == list(T.keys()),
               'shapes_equal': all(O[k].shape == T[k].shape for k in T), 'identical': identical, 'differs': differs,
               'blocks': [torch.equal(w[:, t0:t1], ws[:, s0:s1]) for (t0, t1), (s0, s1) in blocks],
               'rest_zero': bool((w * (1 - covered)).eq(0).all()) and bool(covered.sum() > 0),
               'alias': O['policy.obs_encoder.module.nets.obs.obs_nets.agentview_rgb.backbone.nets.0.weight'].data_ptr() == O['policy.obs_encoder.module.nets.obs.obs_nets.eye_in_hand_rgb.backbone.nets.0.weight'].data_ptr(),
               'metadata': len(getattr(O, '_metadata', {}))}
res['top'] = sorted(k for k in o.keys())
res['config_from_target'] = o['config'] == t['config']
res['provenance'] = json.loads(o['surgery_provenance'])
print(json.dumps(res))
`;

const torchTest = hasTorch ? test : test.skip;

/** Returns the column blocks `[target, source]` the tiny remap assigns in combine.0.weight, read from the remap itself. */
function combineColumnBlocks(): Array<[[number, number], [number, number]]> {
  const text = readFileSync(TINY_REMAP, 'utf8');
  const statements = parseRemap(text, TINY_REMAP).file.statements;
  const lets = new Map(statements.flatMap((s) => (s.kind === 'Let' ? [[s.name.value, s.range] as const] : [])));
  const columns = (slice: Slice | null): [number, number] => {
    const dim = slice!.dims[1]!;
    const range = dim.kind === 'RangeRef' ? lets.get(dim.name)! : dim;
    return [range.start!, range.stop!];
  };
  return statements.flatMap((s) => (s.kind === 'Assign' ? [[columns(s.targetSlice), columns(s.sourceSlice)] as [[number, number], [number, number]]] : []));
}

torchTest('tiny DROID → LIBERO: output loads strict in PyTorch, transfers are bit-identical, camera columns land where the remap says', async () => {
  const output = join(dir, 'libero-from-droid.pth');
  const outcome = await applyTiny(output);
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const blocks = combineColumnBlocks();
  assert.is(blocks.length, 2, 'the remap moves two camera blocks');
  const r = JSON.parse(runPython(VERIFY, [output, DROID, LIBERO, JSON.stringify(blocks)]));
  for (const sd of ['nets', 'ema']) {
    assert.equal({ ...r[sd], identical: undefined }, {
      missing: 0, unexpected: 0, keys_equal: true, shapes_equal: true, identical: undefined, differs: [],
      blocks: [true, true], rest_zero: true, alias: true, metadata: r[sd].metadata,
    }, sd);
    // 398 keys minus the 5 the remap rebuilds (4 reinit + combine.0.weight) come straight from the source.
    assert.is(r[sd].identical, 393);
    assert.ok(r[sd].metadata > 0, '_metadata kept');
  }
  assert.ok(r.config_from_target);
  assert.is(r.provenance.format, 'surgery-provenance');
  assert.is(r.provenance.remaps[0].path, 'remaps/droid-to-libero-tiny.remap');
  assert.match(r.provenance.source.digest, /^[0-9a-f]{64}$/);
  // Every key the output holds, with where it came from (what `surgery verify` checks against).
  const transfers = r.provenance.transfers['model.nets'];
  assert.is(Object.keys(transfers).length, 398);
  const encoder = 'policy.obs_encoder.module.nets.obs.obs_nets';
  assert.equal(transfers[`${encoder}.agentview_rgb.backbone.nets.0.weight`], { status: 'renamed', from: `${encoder}.camera/image/varied_camera_1_left_image.backbone.nets.0.weight` });
  assert.equal(transfers['policy.noise_pred_net.module.final_conv.1.bias'], { status: 'reinit', from: null });
});

test('reinit values are reproducible for a seed and differ for another', async () => {
  const a = join(dir, 'a.pth');
  const b = join(dir, 'b.pth');
  const c = join(dir, 'c.pth');
  await applyTiny(a);
  await applyTiny(b);
  await applyTiny(c, { seed: 7 });
  const key = 'policy.noise_pred_net.module.final_conv.1.weight';
  const values = await Promise.all([a, b, c].map(async (p) => {
    const ck = await openCheckpoint(p);
    return Array.from((await readTensor(ck.stateDicts.find((d) => d.name === 'model.nets')!.tensors.get(key)!)) as Float32Array);
  }));
  assert.equal(values[0], values[1]);
  assert.not.equal(values[0], values[2]);
});

test('a failing plan writes nothing and exits 1', async () => {
  const output = join(dir, 'never.pth');
  const outcome = await runApply({ source: DROID, remaps: [], target: LIBERO, mode: 'loose', fill: true, output, ...report });
  assert.is(outcome.exitCode, 1);
  assert.is(JSON.parse(outcome.stdout).verdict.loose.ok, false);
  assert.not.ok(existsSync(output));
});

test('without a target the rules alone rewrite the checkpoint; _metadata follows the renames', async () => {
  const output = join(dir, 'stripped.pth');
  const remapPath = join(dir, 'cams.remap');
  writeFileSync(remapPath, 'camera/image/varied_camera_1_left_image -> agentview_rgb\n');
  const outcome = await runApply({ source: DROID, remaps: [remapPath], mode: 'strict', fill: true, output, ...report });
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const ck = await openCheckpoint(output);
  const nets = ck.stateDicts.find((d) => d.name === 'model.nets')!;
  assert.ok(nets.tensors.has('policy.obs_encoder.module.nets.obs.obs_nets.agentview_rgb.nets.0.nets.0.weight'));
  const metadataKeys = isDict(nets.dict.metadata) ? [...nets.dict.metadata.entries.keys()].map(String) : [];
  assert.ok(metadataKeys.includes('policy.obs_encoder.module.nets.obs.obs_nets.agentview_rgb.backbone'), 'module prefix renamed');
  assert.not.ok(metadataKeys.some((k) => k.includes('varied_camera_1')), 'old prefix gone');
  assert.ok(metadataKeys.some((k) => k.includes('varied_camera_2')), 'unrelated prefix kept');
});

test('the output path must not be an input: the source, a remap, or (for --report) the output itself', async () => {
  const code = (promise: Promise<unknown>) => promise.then(() => 'written', (e: InputError) => e.code);
  assert.is(await code(applyTiny(DROID)), 'output/overwrites-input');
  const remap = join(dir, 'own.remap');
  writeFileSync(remap, readFileSync(TINY_REMAP));
  assert.is(await code(runApply({ source: DROID, remaps: [remap], target: LIBERO, mode: 'strict', fill: true, output: remap, ...report })), 'output/overwrites-input');
  assert.is(readFileSync(remap, 'utf8'), readFileSync(TINY_REMAP, 'utf8'), 'remap untouched');
  const output = join(dir, 'report-over-output.pth');
  assert.is(await code(applyTiny(output, { report: output })), 'output/overwrites-input');
  assert.is((await openCheckpoint(output)).stateDicts.length, 2, 'the checkpoint written is still there');
  assert.is(await code(applyTiny(join(dir, 'report-over-source.pth'), { report: DROID })), 'output/overwrites-input');
});

test('loose mode: unexpected keys are left out, missing ones are filled from the target (or not, with fill off)', async () => {
  const remapPath = join(dir, 'one-camera.remap');
  // The tiny remap without camera 2's rename (and without its expectations, which would rightly fail).
  const text = readFileSync(TINY_REMAP, 'utf8').replace(/^camera\/image\/varied_camera_2_left_image -> eye_in_hand_rgb$/m, '').replace(/^expect .*$/gm, '');
  writeFileSync(remapPath, text);
  const filled = join(dir, 'filled.pth');
  const bare = join(dir, 'bare.pth');
  const strict = await runApply({ source: DROID, remaps: [remapPath], target: LIBERO, mode: 'strict', fill: true, output: filled, ...report });
  assert.is(strict.exitCode, 1, 'strict refuses missing and unexpected keys');
  assert.not.ok(existsSync(filled));
  assert.is((await runApply({ source: DROID, remaps: [remapPath], target: LIBERO, mode: 'loose', fill: true, output: filled, ...report })).exitCode, 0);
  assert.is((await runApply({ source: DROID, remaps: [remapPath], target: LIBERO, mode: 'loose', fill: false, output: bare, ...report })).exitCode, 0);
  const [target, withFill, withoutFill] = await Promise.all([LIBERO, filled, bare].map(openCheckpoint));
  const keys = (ck: Awaited<ReturnType<typeof openCheckpoint>>) => [...ck.stateDicts.find((d) => d.name === 'model.ema')!.tensors.keys()];
  assert.equal(keys(withFill!), keys(target!));
  const cameraTwo = keys(target!).filter((k) => k.includes('eye_in_hand_rgb'));
  assert.ok(cameraTwo.length > 0);
  assert.equal(keys(withoutFill!), keys(target!).filter((k) => !k.includes('eye_in_hand_rgb')));
  // Filled from the target: the very bytes of the target checkpoint.
  const key = cameraTwo[0]!;
  const [a, b] = await Promise.all([target!, withFill!].map((ck) => readTensor(ck.stateDicts.find((d) => d.name === 'model.ema')!.tensors.get(key)!)));
  assert.equal(Array.from(a as Float32Array), Array.from(b as Float32Array));
});

test('optimizer and scheduler state is dropped and reported; everything else is kept', async () => {
  const upstream = `${REFERENCE}/upstream_libero_tiny.ckpt.pth`;
  const output = join(dir, 'upstream.pth');
  const outcome = await runApply({ source: upstream, remaps: [], mode: 'strict', fill: true, output, ...report });
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const notes: string[] = JSON.parse(outcome.stdout).notes;
  assert.ok(notes.includes('Dropped "model.optimizers": optimizer/scheduler state refers to the old parameters.'), notes.join('\n'));
  assert.ok(notes.includes('Dropped "model.lr_schedulers": optimizer/scheduler state refers to the old parameters.'));
  const [before, after] = await Promise.all([openCheckpoint(upstream), openCheckpoint(output)]);
  const keysOf = (root: unknown) => (isDict(root as never) ? [...(root as { entries: Map<unknown, unknown> }).entries.keys()].map(String) : []);
  assert.equal(keysOf(after.root), [...keysOf(before.root), 'surgery_provenance']);
  assert.equal(keysOf((after.root as { entries: Map<string, unknown> }).entries.get('model')), ['nets', 'ema']);
});

test('a single state dict can be written as safetensors, with the provenance in __metadata__', async () => {
  const output = join(dir, 'nets.safetensors');
  const remapPath = join(dir, 'nets-only.remap');
  writeFileSync(remapPath, 'in model.nets\ncamera/image/varied_camera_1_left_image -> agentview_rgb\n');
  const outcome = await runApply({ source: DROID, remaps: [remapPath], mode: 'strict', fill: true, output, ...report });
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const ck = await openCheckpoint(output);
  assert.is(ck.format, 'safetensors');
  assert.is(JSON.parse(ck.metadata!['surgery_provenance']!).format, 'surgery-provenance');
  assert.is(ck.stateDicts[0]!.tensors.size, 398);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
