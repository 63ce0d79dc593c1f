import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pyDict } from '../../src/checkpoint/py-value.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { validatePolicyConfig, type ShapeMetadata } from '../../src/model/config.ts';
import { initCheckpoint } from '../../src/model/init-checkpoint.ts';
import { robomimicMetadata } from '../../src/model/robomimic-metadata.ts';
import { applyPlan } from '../../src/plan/apply-plan.ts';
import { buildProvenance } from '../../src/plan/build-provenance.ts';
import { loadConfigSchema, loadSchema } from '../../src/plan/load-schema.ts';
import { runApply } from '../../src/plan/run-apply.ts';
import { hasTorch, runPython } from '../support/torch.ts';
import { plan, REFERENCE, remap } from './plan-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-config-metadata-'));
const torchTest = hasTorch ? test : test.skip;

// Field by field against real checkpoints, for each (ours, real) pair: equal values, the same key
// order in the OrderedDicts and lists, the same Python types (dict vs OrderedDict, int, bool, list);
// then what else the apply output holds.
const SAME_METADATA = String.raw`
import json, sys, torch
def typed(v):
    if isinstance(v, dict): return [type(v).__name__, [[k, typed(x)] for k, x in v.items()]]
    if isinstance(v, list): return ['list', [typed(x) for x in v]]
    return [type(v).__name__, v]
for ours_path, real_path in json.loads(sys.argv[1]):
    ours, real = torch.load(ours_path), torch.load(real_path)
    report = {f: typed(ours.get(f)) == typed(real.get(f)) for f in ('config', 'algo_name', 'shape_metadata')}
    report['ac_dim'] = ours['shape_metadata']['ac_dim']
    if 'surgery_provenance' in ours:
        report['stats'] = dict(ours['action_normalization_stats'])
        report['env'] = ours['env_metadata']
        report['provenance_target'] = json.loads(ours['surgery_provenance'])['target']['kind']
        report['same_keys_and_shapes'] = all(list(ours['model'][d]) == list(real['model'][d]) and all(ours['model'][d][k].shape == real['model'][d][k].shape for k in real['model'][d]) for d in ('nets', 'ema'))
    print(json.dumps(report))
`;

/** Returns one report per (ours, real) checkpoint pair. */
function compareInTorch(pairs: Array<[string, string]>): unknown[] {
  return runPython(SAME_METADATA, [JSON.stringify(pairs)]).trim().split('\n').map((line) => JSON.parse(line));
}

const CASES: Array<{ name: string; shapes: ShapeMetadata }> = [
  { name: 'fork_libero_tiny', shapes: {} },
  { name: 'fork_droid_tiny', shapes: {} },
  // Upstream's config records no action_shapes (robomimic reads them from the dataset): give ac_dim as `init --ac-dim` does.
  { name: 'upstream_libero_tiny', shapes: { acDim: 7 } },
];

torchTest('each reference checkpoint\'s own config gives exactly its own config string, algo_name and shape_metadata', async () => {
  const pairs: Array<[string, string]> = [];
  for (const { name, shapes } of CASES) {
    const text = readFileSync(join(REFERENCE, `${name}.config.json`), 'utf8');
    const metadata = robomimicMetadata(validatePolicyConfig(text, name, shapes).config, text);
    const out = join(dir, `${name}-metadata.pth`);
    await writeCheckpoint(out, pyDict([['config', metadata.config], ['algo_name', metadata.algoName], ['shape_metadata', metadata.shapeMetadata]], { ordered: false }), { format: 'torch-zip' });
    pairs.push([out, join(REFERENCE, `${name}.ckpt.pth`)]);
  }
  assert.equal(compareInTorch(pairs), CASES.map(({ name }) => ({ config: true, algo_name: true, shape_metadata: true, ac_dim: name === 'fork_droid_tiny' ? 10 : 7 })));
});

torchTest('apply DROID → a LIBERO target config: the output carries the config\'s metadata, as the real LIBERO checkpoint does', async () => {
  const configPath = join(REFERENCE, 'fork_libero_tiny.config.json');
  const fromConfig = await loadConfigSchema(configPath);
  // The tiny fixtures' ResNet trunks are narrowed, which no config records; take the target's keys
  // from the real checkpoint of this config, and everything else from the config.
  const realLibero = await loadSchema(join(REFERENCE, 'fork_libero_tiny.ckpt.pth'));
  const target = { ...fromConfig, stateDicts: realLibero.stateDicts.map((d) => ({ name: d.name, keys: new Map([...d.keys].map(([k, s]) => [k, { shape: s.shape, dtype: s.dtype }])) })) };
  const source = await loadSchema(join(REFERENCE, 'fork_droid_tiny.ckpt.pth'));
  const remapPath = 'remaps/droid-to-libero-tiny.remap';
  const resolved = plan(source, target, [remap(readFileSync(remapPath, 'utf8'), remapPath)]);
  assert.ok(resolved.ok, 'the tiny remap plans clean against the config target');
  const provenance = await buildProvenance(resolved, { seed: 0, metadata: 'target' });
  assert.equal(provenance.target?.kind, 'config');
  const applied = await applyPlan({ plan: resolved, source, target, metadata: 'target', seed: 0, provenance });
  assert.ok(applied.notes.some((n) => n.includes('"shape_metadata" come from the target config') && n.includes('ac_dim 7')), applied.notes.join('\n'));
  assert.ok(applied.notes.some((n) => n.startsWith('"action_normalization_stats" are the identity')), 'DROID\'s three action keys do not fit LIBERO\'s "actions"');
  const out = join(dir, 'droid-to-libero-config.pth');
  await writeCheckpoint(out, applied.root, { format: 'torch-zip' });
  const [report] = compareInTorch([[out, join(REFERENCE, 'fork_libero_tiny.ckpt.pth')]]);
  assert.equal(report, {
    config: true, algo_name: true, shape_metadata: true, ac_dim: 7,
    stats: { actions: { scale: [[1, 1, 1, 1, 1, 1, 1]], offset: [[0, 0, 0, 0, 0, 0, 0]] } },
    env: {},
    provenance_target: 'config',
    same_keys_and_shapes: true,
  });
});

// Low-dim-only variants of the tiny configs: models small enough to build from the config alone.
function lowDimConfig(name: string): string {
  const json = JSON.parse(readFileSync(join(REFERENCE, `${name}.config.json`), 'utf8'));
  json.observation.modalities.obs.rgb = [];
  const path = join(dir, `${name}-low-dim.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

const LOW_DIM_REMAP = `in model.nets, model.ema
reinit policy.obs_encoder.module.combine.0.weight                             # 7 -> 8 low-dim inputs
reinit policy.noise_pred_net.module.down_modules.0.0.blocks.0.block.0.weight  # 10 -> 7 action dims
reinit policy.noise_pred_net.module.down_modules.0.0.residual_conv.weight
reinit policy.noise_pred_net.module.final_conv.1.*
`;

torchTest('apply --target-config end to end: an init-made DROID checkpoint becomes one whose metadata is the LIBERO config\'s; init writes the same', async () => {
  const droidConfig = lowDimConfig('fork_droid_tiny');
  const liberoConfig = lowDimConfig('fork_libero_tiny');
  const source = join(dir, 'droid-low-dim.pth');
  await initCheckpoint({ configPath: droidConfig, out: source, seed: 1 });
  const liberoInit = join(dir, 'libero-low-dim.pth');
  await initCheckpoint({ configPath: liberoConfig, out: liberoInit, seed: 2 });
  const remapPath = join(dir, 'low-dim.remap');
  writeFileSync(remapPath, LOW_DIM_REMAP);
  const output = join(dir, 'libero-from-droid.pth');
  const outcome = await runApply({ source, remaps: [remapPath], targetConfig: liberoConfig, output, mode: 'strict', fill: true, format: 'text', colour: false });
  assert.is(outcome.exitCode, 0, outcome.stdout);
  assert.match(outcome.stdout, 'come from the target config');
  // What apply writes with a target config is what init writes for that config (weights aside).
  const [report] = compareInTorch([[output, liberoInit]]);
  assert.equal(report, { config: true, algo_name: true, shape_metadata: true, ac_dim: 7, stats: { actions: { scale: [[1, 1, 1, 1, 1, 1, 1]], offset: [[0, 0, 0, 0, 0, 0, 0]] } }, env: {}, provenance_target: 'config', same_keys_and_shapes: true });
});

test('apply --metadata source with a target config keeps the source\'s metadata and says so', async () => {
  const source = await loadSchema(join(REFERENCE, 'fork_droid_tiny.ckpt.pth'));
  const target = await loadConfigSchema(join(REFERENCE, 'full_size', 'libero_config.json'));
  const resolved = plan(source, null, []);
  const applied = await applyPlan({ plan: resolved, source, target, metadata: 'source', seed: 0, provenance: {} });
  assert.equal(applied.notes, [`Non-tensor content (config, metadata) comes from the source "${source.path}".`]);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
