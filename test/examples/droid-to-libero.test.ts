/**
 * Keeps examples/droid-to-libero/ honest: its links resolve, its full-size configs build exactly the real networks
 * (the bundled key manifests), the plan numbers its README quotes are what `plan` says, and the demo configs differ
 * from the full-size ones only where the README says they do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { policySchema } from '../../src/model/schema.ts';
import { runPlan } from '../../src/plan/run-plan.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = join(ROOT, 'examples/droid-to-libero');
const README = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
const MANIFESTS = join(ROOT, 'examples/code-review/manifests');

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('every relative link in the README resolves', () => {
  const links = [...README.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^https?:/.test(l));
  assert.ok(links.length >= 6);
  for (const link of links) assert.ok(existsSync(join(dirname(join(EXAMPLE, 'README.md')), link)), link);
});

for (const [config, manifest] of [['droid_rlds.json', 'droid-fork-full.tsv'], ['libero.json', 'libero-fork-full.tsv']] as const) {
  test(`configs/full-size/${config} builds the real network (${manifest})`, () => {
    const path = join(EXAMPLE, 'configs/full-size', config);
    const schema = policySchema(validatePolicyConfig(readFileSync(path, 'utf8'), path).config);
    const ours = schema.entries.map(({ key, param }) => `${key}\t${param.shape.join('x')}\tfloat32`);
    const real = readFileSync(join(MANIFESTS, manifest), 'utf8').trim().split('\n');
    assert.equal([...ours].sort(), [...real].sort());
  });
}

test('the plan numbers the README quotes are what plan reports for the full-size networks', async () => {
  const outcome = await runPlan({
    source: join(MANIFESTS, 'droid-fork-full.tsv'),
    remaps: [join(ROOT, 'remaps/droid-to-libero.remap')],
    target: join(MANIFESTS, 'libero-fork-full.tsv'),
    mode: 'strict',
    fill: true,
    format: 'json',
    colour: false,
  });
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const report = JSON.parse(outcome.stdout);
  const section = report.sections[0];
  const count = (status: string) => section.summary.find((s: { status: string }) => s.status === status);
  const quoted = /(\d+) tensors in each state dict[\s\S]*?(\d+) loaded, (\d+) renamed, (\d+) assembled, (\d+) reinitialised \(([\d,]+) parameters/.exec(README);
  assert.ok(quoted, 'the README quotes the plan');
  assert.is(Number(quoted![1]), section.targetTensors);
  assert.is(Number(quoted![2]), count('loaded').tensors);
  assert.is(Number(quoted![3]), count('renamed').tensors);
  assert.is(Number(quoted![4]), count('assembled').tensors);
  assert.is(Number(quoted![5]), count('reinit').tensors);
  assert.is(Number(quoted![6]!.replace(/,/g, '')), count('reinit').params);
  assert.ok(report.expectations.length === 6 && report.expectations.every((e: { passed: boolean }) => e.passed));
  assert.ok(report.verdict.strict.ok);
});

/** Returns `path=value` for every leaf of a JSON value. */
function leaves(value: unknown, path = ''): Map<string, string> {
  if (value === null || typeof value !== 'object') return new Map([[path, JSON.stringify(value)]]);
  return new Map(Object.entries(value as object).flatMap(([k, v]) => [...leaves(v, path ? `${path}.${k}` : k)]));
}

/** What the README's "What the demo changes" section lists, plus names, epochs and paths that do not change the model. */
const DOCUMENTED_CHANGES = [
  /^observation\.encoder\.rgb\.core_kwargs\.backbone_class$/,
  /^observation\.encoder\.rgb\.core_kwargs\.backbone_kwargs\.pretrained$/,
  /^observation\.image_dim\./,
  /^observation\.encoder\.rgb\.obs_randomizer_(class|kwargs)\./,
  /^algo\.unet\.(diffusion_step_embed_dim|down_dims\.\d)$/,
  /^algo\.noise_samples$/,
  /^algo\.optim_params\.policy\.learning_rate\.initial$/,
  /^train\.(batch_size|num_epochs|seed|data\.0\.path)$/,
  /^experiment\.(name|epoch_every_n_steps|save\.every_n_epochs|logging\.log_wandb)$/,
];

for (const [demo, full] of [['droid.json', 'droid_rlds.json'], ['libero.json', 'libero.json']] as const) {
  test(`configs/${demo} differs from configs/full-size/${full} only where the README says`, () => {
    const a = leaves(readJson(join(EXAMPLE, 'configs', demo)));
    const b = leaves(readJson(join(EXAMPLE, 'configs/full-size', full)));
    const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
    const undocumented = changed.filter((k) => !DOCUMENTED_CHANGES.some((re) => re.test(k)));
    assert.equal(undocumented, []);
    assert.ok(changed.includes('observation.encoder.rgb.core_kwargs.backbone_class'));
  });
}

test.run();
