/**
 * Keeps examples/droid-to-libero/ honest: its links resolve, its full-size configs build exactly the real networks
 * (the bundled key manifests), the suggest, plan and verify numbers its README quotes are what those commands say,
 * and the demo configs differ from the full-size ones only where the README says they do.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { policySchema } from '../../src/model/schema.ts';
import { loadConfigSchema, loadSchema } from '../../src/plan/load-schema.ts';
import { runApply } from '../../src/plan/run-apply.ts';
import { runPlan } from '../../src/plan/run-plan.ts';
import { draftRemap, type Draft } from '../../src/suggest/draft-remap.ts';
import { runSuggest } from '../../src/suggest/run-suggest.ts';
import { runVerify } from '../../src/verify/run-verify.ts';
import type { VerifyReport } from '../../src/verify/verify-report.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLE = join(ROOT, 'examples/droid-to-libero');
const README = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
const MANIFESTS = join(ROOT, 'examples/code-review/manifests');
const FULL_SIZE = join(EXAMPLE, 'configs/full-size');
const dir = mkdtempSync(join(tmpdir(), 'surgery-droid-to-libero-'));
/** The README's draft, as `suggest` writes it for a full-size DROID checkpoint (its key tree and its config). */
const DRAFT = join(dir, 'draft.remap');
let draft: Draft;

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

function configOf(path: string) {
  return validatePolicyConfig(readFileSync(path, 'utf8'), path).config;
}

test.before(async () => {
  draft = draftRemap({
    source: await loadSchema(join(MANIFESTS, 'droid-fork-full.tsv')),
    target: await loadConfigSchema(join(FULL_SIZE, 'libero.json')),
    sourceConfig: configOf(join(FULL_SIZE, 'droid_rlds.json')),
    targetConfig: configOf(join(FULL_SIZE, 'libero.json')),
    file: DRAFT,
  });
  writeFileSync(DRAFT, draft.text);
});

test('the suggest numbers the README quotes are what suggest drafts for the full-size networks', () => {
  assert.ok(draft.ok, JSON.stringify(draft.diagnostics));
  const rows = draft.plan!.stateDicts[0]!.rows;
  const count = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).length;
  const quoted = /per state dict (\d+) tensors copied,\s+(\d+) assembled, (\d+) reinitialised, (\d+) dropped; (\d+) rule\(s\) are guesses/.exec(README);
  assert.ok(quoted, 'the README quotes the suggest summary');
  assert.equal(quoted!.slice(1).map(Number), [count('loaded', 'renamed'), count('assembled'), count('reinit'), count('dropped'), draft.text.split('\n').filter((l) => l.startsWith('# guess:')).length]);
  const rules = draft.text.split('\n').filter((l) => !l.startsWith('#'));
  for (const [, block] of README.matchAll(/`(\d+:\d+ <- \d+:\d+)`/g)) assert.ok(rules.some((l) => l.replace(/\[:, /g, '').replace(/\]/g, '').endsWith(block!)), block);
  const expectations = [...README.matchAll(/`((?:missing|unexpected|loaded|assembled|reinit) [<>=]+ [\d.]+%?(?: params)?)`/g)].map((m) => `expect ${m[1]}`);
  assert.equal(expectations, rules.filter((l) => l.startsWith('expect ')));
});

test('swapping the tied camera renames as the README says plans clean with the same counts', async () => {
  const combine = 'policy.obs_encoder.module.combine.0.weight';
  const swaps = [...README.matchAll(/`(\[:, \d+:\d+\]) <- (\[:, \d+:\d+\])`/g)].map((m) => ({ into: m[1]!, from: m[2]! }));
  assert.is(swaps.length, 2);
  const renames = new Map([
    ['camera/image/varied_camera_1_left_image -> agentview_rgb', 'camera/image/varied_camera_1_left_image -> eye_in_hand_rgb'],
    ['camera/image/varied_camera_2_left_image -> eye_in_hand_rgb', 'camera/image/varied_camera_2_left_image -> agentview_rgb'],
  ]);
  const lines = draft.text.split('\n');
  // The swap gives each LIBERO camera the column block the draft gave the other one.
  const drafted = new Map(lines.flatMap((l) => (l.startsWith(combine) ? [l.slice(combine.length).split(' <- ') as [string, string]] : [])));
  assert.equal(swaps.map((s) => s.from), swaps.map((s) => drafted.get(swaps.find((o) => o !== s)!.into)));
  const swapped = lines.map((line) => {
    const block = swaps.find((s) => line.startsWith(`${combine}${s.into} <- `));
    return renames.get(line) ?? (block ? `${combine}${block.into} <- ${block.from}` : line);
  });
  assert.is(swapped.filter((line, i) => line !== lines[i]).length, 4);
  const path = join(dir, 'swapped.remap');
  writeFileSync(path, swapped.join('\n'));
  const [a, b] = [await planFullSize(DRAFT), await planFullSize(path)];
  assert.is(b.exitCode, 0, b.stderr);
  assert.equal(JSON.parse(b.stdout).sections[0].summary, JSON.parse(a.stdout).sections[0].summary);
});

/** Returns the strict JSON plan of `remap` between the full-size DROID and LIBERO key manifests. */
function planFullSize(remap: string) {
  return runPlan({ source: join(MANIFESTS, 'droid-fork-full.tsv'), remaps: [remap], target: join(MANIFESTS, 'libero-fork-full.tsv'), mode: 'strict', fill: true, format: 'json', colour: false });
}

for (const remap of ['remaps/droid-to-libero.remap', 'the drafted remap']) test(`the plan numbers the README quotes are what plan reports for the full-size networks (${remap})`, async () => {
  const outcome = await planFullSize(remap.startsWith('remaps/') ? join(ROOT, remap) : DRAFT);
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const report = JSON.parse(outcome.stdout);
  const section = report.sections[0];
  const count = (status: string) => section.summary.find((s: { status: string }) => s.status === status);
  const quoted = /(\d+) tensors in each state dict[\s\S]*?(\d+) loaded, (\d+) renamed, (\d+) assembled, (\d+) reinitialised \(([\d,]+) parameters/.exec(README.replace(/\s+/g, ' '));
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

test('the verify results the README quotes are what suggest → apply → verify give on the tiny DROID and LIBERO fixtures', async () => {
  const [source, target, remap, output] = [`${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`, `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`, join(dir, 'tiny.remap'), join(dir, 'libero_start.pth')];
  const suggested = await runSuggest({ source, target, output: remap, colour: false });
  assert.is(suggested.exitCode, 0, suggested.stderr);
  const applied = await runApply({ source, remaps: [remap], target, mode: 'strict', fill: true, output, format: 'json', colour: false });
  assert.is(applied.exitCode, 0, applied.stderr);
  const verified = await runVerify({ source, output, backend: 'wasm', format: 'json', colour: false });
  assert.is(verified.exitCode, 0, verified.stdout);
  const report = JSON.parse(verified.stdout) as VerifyReport;
  const quotedDiff = /`max abs diff (\d+)` for both cameras/.exec(README);
  const quotedAction = /action dimension differs, (\d+) vs (\d+)/.exec(README.replace(/\s+/g, ' '));
  const quotedReinit = /UNet's (\d+) action-layer tensors reinit/.exec(README.replace(/\s+/g, ' '));
  assert.ok(quotedDiff && quotedAction && quotedReinit, 'the README quotes the verify report');
  for (const section of report.sections) {
    const row = (name: string) => section.rows.find((r) => r.submodule === name)!;
    const encoders = section.rows.filter((r) => r.submodule.startsWith('encoder '));
    assert.is(encoders.length, 2);
    assert.ok(encoders.every((r) => r.maxAbsDiff === Number(quotedDiff![1]) && r.verdict === 'identical'), JSON.stringify(encoders));
    assert.equal(row('combine').notCopied.map((k) => `${k.status} ${k.key}`), ['assembled 0.weight']);
    assert.is(row('combine').verdict, 'not run');
    assert.match(row('unet').notRun, `action dimension differs (${quotedAction![1]} vs ${quotedAction![2]})`);
    assert.equal(row('unet').notCopied.map((k) => k.status), Array(Number(quotedReinit![1])).fill('reinit'));
  }
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

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
