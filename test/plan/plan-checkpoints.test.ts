import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/input-error.ts';
import { storageReadStats } from '../../src/checkpoint/storage-bytes.ts';
import { loadConfigSchema, loadSchema } from '../../src/plan/load-schema.ts';
import type { ModelSchema } from '../../src/plan/model-schema.ts';
import { resolvePlan } from '../../src/plan/resolve-plan.ts';
import { plan, problems, referenceTsv, remap, REFERENCE } from './plan-helpers.ts';

const TINY_REMAP = 'remaps/droid-to-libero-tiny.remap';

test('tiny DROID checkpoint → tiny LIBERO checkpoint: the remap plans cleanly, reading no tensor bytes', async () => {
  const before = storageReadStats();
  const source = await loadSchema(`${REFERENCE}/fork_droid_tiny.ckpt.pth`);
  const target = await loadSchema(`${REFERENCE}/fork_libero_tiny.ckpt.pth`);
  const p = resolvePlan({ source, target, remaps: [remap(readFileSync(TINY_REMAP, 'utf8'), TINY_REMAP)], mode: 'strict', fill: true });
  assert.equal(storageReadStats(), before, 'plan must not read tensor bytes');
  assert.equal(problems(p), []);
  assert.ok(p.ok);
  assert.equal(p.stateDicts.map((d) => d.name), ['model.nets', 'model.ema']);
  const statuses = new Map<string, number>();
  for (const r of p.stateDicts[0]!.rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  // Every target key is covered: 398 keys, of which the 4 action-channel convs start fresh and combine.0 is assembled.
  assert.equal(Object.fromEntries(statuses), { loaded: 149, renamed: 244, assembled: 1, reinit: 4 });
  assert.ok(p.expectations.length > 0 && p.expectations.every((e) => e.passed));
});

test('a source manifest stands in for the source checkpoint (plan only): same verdict and rows', async () => {
  const target = await loadSchema(`${REFERENCE}/fork_libero_tiny.ckpt.pth`);
  const fromCheckpoint = await loadSchema(`${REFERENCE}/fork_droid_tiny.ckpt.pth`);
  const asManifest = { kind: 'manifest' as const, path: 'droid.json', stateDicts: fromCheckpoint.stateDicts.map((d) => ({ name: d.name, keys: new Map([...d.keys].map(([k, s]) => [k, { shape: s.shape, dtype: s.dtype }])) })) };
  const text = readFileSync(TINY_REMAP, 'utf8');
  const a = resolvePlan({ source: fromCheckpoint, target, remaps: [remap(text)], mode: 'strict', fill: true });
  const b = resolvePlan({ source: asManifest, target, remaps: [remap(text)], mode: 'strict', fill: true });
  assert.equal(b.stateDicts.map((d) => d.rows.map((r) => [r.key, r.status])), a.stateDicts.map((d) => d.rows.map((r) => [r.key, r.status])));
});

test('--target-config: the model built from the full-size LIBERO config gives the same 5 mismatches as its TSV schema', async () => {
  const cameras = remap('in model.nets, model.ema\ncamera/image/varied_camera_1_left_image -> agentview_rgb\ncamera/image/varied_camera_2_left_image -> eye_in_hand_rgb\n');
  const fromConfig = plan(referenceTsv('droid_nets'), await loadConfigSchema(`${REFERENCE}/full_size/libero_config.json`), [cameras]);
  const fromTsv = plan(referenceTsv('droid_nets'), referenceTsv('libero_nets'), [cameras]);
  assert.equal(problems(fromConfig), problems(fromTsv));
  assert.is(fromConfig.diagnostics.length, 5);
});

const STRIP = 'remaps/strip-module-prefix.remap';

/** Returns a manifest with the state dicts of `schema`, each key rewritten by `rename`. */
function renamedManifest(schema: ModelSchema, rename: (key: string) => string): ModelSchema {
  return { kind: 'manifest', path: 'renamed.json', stateDicts: schema.stateDicts.map((d) => ({ name: d.name, keys: new Map([...d.keys].map(([k, s]) => [rename(k), s])) })) };
}

test('strip-module-prefix.remap applies cleanly to a checkpoint with only "module." wrappers: the "_orig_mod." line is info', async () => {
  const source = await loadSchema(`${REFERENCE}/fork_droid_tiny.ckpt.pth`);
  const p = resolvePlan({ source, target: null, remaps: [remap(readFileSync(STRIP, 'utf8'), STRIP)], mode: 'strict', fill: true });
  assert.equal(problems(p), ['info remap/no-match: Pattern "**._orig_mod.**" matches no key (the rule is optional).']);
  assert.equal(p.verdict, { strict: { ok: true, errors: 0 }, loose: { ok: true, errors: 0 } });
  assert.equal(p.rules.map((r) => r.notes), [[], [], ['optional, matches nothing']]);
  const keys = p.stateDicts[0]!.rows.map((r) => r.key);
  assert.ok(keys.every((k) => !k.split('.').includes('module')));
  assert.ok(keys.includes('policy.noise_pred_net.final_conv.1.bias'));
  // The output keys are the checkpoint's keys with every "module" segment taken out, one to one.
  const expected = [...source.stateDicts[0]!.keys.keys()].map((k) => k.split('.').filter((s) => s !== 'module').join('.'));
  assert.equal(keys.sort(), expected.sort());
});

test('strip-module-prefix.remap: torch.compile on top of DDP strips both; a plain checkpoint passes unchanged', async () => {
  const source = await loadSchema(`${REFERENCE}/fork_droid_tiny.ckpt.pth`);
  const text = readFileSync(STRIP, 'utf8');
  const stripped = resolvePlan({ source, target: null, remaps: [remap(text, STRIP)], mode: 'strict', fill: true });
  const strippedKeys = stripped.stateDicts.map((d) => d.rows.map((r) => r.key));
  const compiled = resolvePlan({ source: renamedManifest(source, (k) => `_orig_mod.${k}`), target: null, remaps: [remap(text, STRIP)], mode: 'strict', fill: true });
  assert.equal(problems(compiled), []);
  assert.equal(compiled.stateDicts.map((d) => d.rows.map((r) => r.key)), strippedKeys);
  const plain = resolvePlan({ source: renamedManifest(source, (k) => k.split('.').filter((s) => s !== 'module').join('.')), target: null, remaps: [remap(text, STRIP)], mode: 'strict', fill: true });
  assert.equal(problems(plain).map((m) => m.split(':')[0]), ['info remap/no-match', 'info remap/no-match']);
  assert.ok(plain.ok);
  assert.equal(plain.stateDicts.map((d) => d.rows.map((r) => `${r.key}:${r.status}`)), strippedKeys.map((keys) => keys.map((k) => `${k}:loaded`)));
});

test('an unreadable --target-config is named as a config, an unreadable manifest as a manifest', async () => {
  const code = (promise: Promise<unknown>) => promise.then(() => 'read', (e: InputError) => `${e.code}: ${e.detail.split(' (')[0]}`);
  assert.is(await code(loadConfigSchema('no-such-config.json')), 'config/unreadable: cannot read the config');
  assert.is(await code(loadSchema('no-such-manifest.tsv')), 'manifest/unreadable: cannot read the manifest');
});

test.run();
