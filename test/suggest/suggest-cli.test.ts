import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJsonManifest } from '../../src/plan/read-manifest.ts';
import type { KeySpec } from '../../src/plan/model-schema.ts';

const R = fileURLToPath(new URL('../../../shared/reference/', import.meta.url));
const CLI = fileURLToPath(new URL('../examples/surgery-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'surgery-suggest-cli-'));

/** Runs the real CLI as its own process, as a user would. */
function surgery(...args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

test('suggest writes a draft that `surgery plan` then passes strictly, end to end through the CLI', () => {
  const draft = join(dir, 'draft.remap');
  const source = `${R}fork_droid_tiny.ckpt.pth`;
  const target = `${R}fork_libero_tiny.ckpt.pth`;
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

test('suggest never writes over an input: -o naming the target exits 3 and leaves it untouched', () => {
  const target = join(dir, 'target.tsv');
  writeFileSync(target, 'a.weight\t2x3\tfloat32\n');
  const before = statSync(target).mtimeMs;
  const result = surgery('suggest', `${R}full_size/droid_nets.tsv`, '-t', target, '-o', target);
  assert.is(result.code, 3);
  assert.match(result.stderr, 'is one of the files being read');
  assert.is(readFileSync(target, 'utf8'), 'a.weight\t2x3\tfloat32\n');
  assert.is(statSync(target).mtimeMs, before);
});

test('suggest needs a target: neither --target nor --target-config is a usage error (exit 2), nothing written', () => {
  const out = join(dir, 'none.remap');
  const result = surgery('suggest', `${R}full_size/droid_nets.tsv`, '-o', out);
  assert.is(result.code, 2);
  assert.not.ok(existsSync(out));
});

test('suggest on manifests: a root wrapper on one side, a renamed tensor, a castable and a non-castable dtype', () => {
  const spec = (shape: number[], dtype: KeySpec['dtype'] = 'float32'): KeySpec => ({ shape, dtype });
  const source = join(dir, 'wrapped.json');
  const target = join(dir, 'plain.json');
  writeFileSync(source, formatJsonManifest([{ name: 'model', keys: new Map([['module.enc.conv.weight', spec([4, 3])], ['module.enc.norm.gamma', spec([4])], ['module.head.w', spec([2], 'float16')], ['module.head.steps', spec([1], 'int64')]]) }]));
  writeFileSync(target, formatJsonManifest([{ name: 'model', keys: new Map([['enc.conv.weight', spec([4, 3])], ['enc.norm.weight', spec([4])], ['head.w', spec([2])], ['head.steps', spec([1])]]) }]));
  const draft = join(dir, 'manifests.remap');
  const result = surgery('suggest', source, '-t', target, '-o', draft);
  assert.is(result.code, 0, result.stderr);
  const text = readFileSync(draft, 'utf8');
  assert.match(text, 'module.** -> **');
  assert.match(text, 'enc.norm.gamma -> enc.norm.weight');
  assert.match(text, 'cast head.w to float32');
  assert.match(text, 'reinit head.steps');
  assert.is(surgery('plan', source, draft, '-t', target).code, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
