import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCli } from '../../src/cli/create-cli.ts';
import { UsageError } from '../../src/usage-error.ts';
import { InputError } from '../../src/input-error.ts';
import { formatJsonManifest } from '../../src/plan/read-manifest.ts';
import type { KeySpec } from '../../src/plan/model-schema.ts';
import { runPlan } from '../../src/plan/run-plan.ts';
import { runSuggest } from '../../src/suggest/run-suggest.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const CLI = fileURLToPath(new URL('../examples/surgery-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'surgery-suggest-cli-'));

/** Runs the real CLI as its own process, as a user would. */
function surgery(...args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

test('suggest writes a draft that `surgery plan` then passes strictly, end to end through the CLI', () => {
  const draft = join(dir, 'draft.remap');
  const source = `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`;
  const target = `${REFERENCE_DIR}fork_libero_tiny.ckpt.pth`;
  const suggested = surgery('suggest', source, '--target', target, '-o', draft);
  assert.is(suggested.code, 0, suggested.stderr);
  assert.match(suggested.stderr, `draft written to ${draft}: plans clean (strict) on 2 state dict(s)`);
  assert.match(suggested.stderr, '2 rule(s) are guesses');
  const planned = surgery('plan', source, draft, '--target', target, '--format', 'json');
  assert.is(planned.code, 0, planned.stderr);
  const report = JSON.parse(planned.stdout);
  assert.is(report.verdict.strict.ok, true);
  assert.ok(report.expectations.length >= 5);
  assert.ok(report.expectations.every((e: { passed: boolean }) => e.passed));
});

test('suggest never writes over an input: -o naming the target is refused and leaves it untouched', async () => {
  const target = join(dir, 'target.tsv');
  writeFileSync(target, 'a.weight\t2x3\tfloat32\n');
  const before = statSync(target).mtimeMs;
  try {
    await runSuggest({ source: `${REFERENCE_DIR}full_size/droid_nets.tsv`, target, output: target, colour: false });
    assert.unreachable('suggest wrote over its target');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'output/overwrites-input');
  }
  assert.is(readFileSync(target, 'utf8'), 'a.weight\t2x3\tfloat32\n');
  assert.is(statSync(target).mtimeMs, before);
});

test('suggest needs a target: neither --target nor --target-config is a usage error, nothing written', async () => {
  const out = join(dir, 'none.remap');
  // yargs may throw a check failure before parseAsync returns its promise, so catch both ways.
  const error = await (async () => createCli(['suggest', `${REFERENCE_DIR}full_size/droid_nets.tsv`, '-o', out]).parseAsync())().catch((e: unknown) => e);
  assert.instance(error, UsageError);
  assert.not.ok(existsSync(out));
});

test('suggest on manifests: a root wrapper on one side, a renamed tensor, a castable and a non-castable dtype', async () => {
  const spec = (shape: number[], dtype: KeySpec['dtype'] = 'float32'): KeySpec => ({ shape, dtype });
  const source = join(dir, 'wrapped.json');
  const target = join(dir, 'plain.json');
  writeFileSync(source, formatJsonManifest([{ name: 'model', keys: new Map([['module.enc.conv.weight', spec([4, 3])], ['module.enc.norm.gamma', spec([4])], ['module.head.w', spec([2], 'float16')], ['module.head.steps', spec([1], 'int64')]]) }]));
  writeFileSync(target, formatJsonManifest([{ name: 'model', keys: new Map([['enc.conv.weight', spec([4, 3])], ['enc.norm.weight', spec([4])], ['head.w', spec([2])], ['head.steps', spec([1])]]) }]));
  const draft = join(dir, 'manifests.remap');
  const result = await runSuggest({ source, target, output: draft, colour: false });
  assert.is(result.exitCode, 0, result.stderr);
  const text = readFileSync(draft, 'utf8');
  assert.match(text, 'module.** -> **');
  assert.match(text, 'enc.norm.gamma -> enc.norm.weight');
  assert.match(text, 'cast head.w to float32');
  assert.match(text, 'reinit head.steps');
  const planned = await runPlan({ source, remaps: [draft], target, mode: 'strict', fill: true, format: 'text', colour: false });
  assert.is(planned.exitCode, 0, planned.stdout);
});

test('suggest writes nothing when no clean draft exists (no state dict in common) and says what failed: exit 1', async () => {
  const spec: KeySpec = { shape: [2], dtype: 'float32' };
  const source = join(dir, 'dict-a.json');
  const target = join(dir, 'dict-b.json');
  writeFileSync(source, formatJsonManifest([{ name: 'a', keys: new Map([['w', spec]]) }]));
  writeFileSync(target, formatJsonManifest([{ name: 'b', keys: new Map([['w', spec]]) }]));
  const out = join(dir, 'unclean.remap');
  const result = await runSuggest({ source, target, output: out, colour: false });
  assert.is(result.exitCode, 1);
  assert.match(result.stderr, `has no state dict "a"`);
  assert.match(result.stderr, 'Nothing written: the drafted remap does not plan clean (strict).');
  assert.not.ok(existsSync(out));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
