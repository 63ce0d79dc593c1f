/**
 * The standing fuzz run, sized for the suite (bench/fuzz-checkpoint.ts runs 1,000 mutants of each
 * real file and 10,000 random mutations): mutated checkpoints load or are refused with a typed
 * error naming the file, in bounded time and flat memory; every hostile case is refused and no
 * payload executes (while CPython's own pickle.load of one does); truncations at every 5% and byte
 * flips of a real robomimic checkpoint and of a safetensors file; garbage remaps get diagnostics;
 * and a sample through the real CLI process ends with exit 3 (remaps: 1) and no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeRemap } from '../../grammar/index.ts';
import { convertCheckpoint } from '../../src/checkpoint/convert-checkpoint.ts';
import { readRemapSource } from '../../src/remap-check/read-remap-source.ts';
import { flipBytes, loadEverything, mutate, runFuzzCase, seededRandom } from '../support/checkpoint-fuzz.ts';
import { makeFuzzBases } from '../support/checkpoint-fuzz-bases.ts';
import { executeWithCPython, garbageRemaps, makeHostileCases } from '../support/checkpoint-fuzz-hostile.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const CASES = 300;
const FLIPS = 30;
const MAX_CASE_MS = 3000;
const REFERENCE = `${REFERENCE_DIR}fork_droid_tiny.ckpt.pth`;
const CLI = fileURLToPath(new URL('../examples/surgery-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'surgery-fuzz-'));
const markers = join(dir, 'markers');
mkdirSync(markers);
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one case and asserts it loads or is refused (typed, naming the file) within MAX_CASE_MS. */
async function expectHandled(name: string, bytes: Uint8Array, what: string): Promise<'ok' | string> {
  const started = performance.now();
  const outcome = await runFuzzCase(join(dir, name), bytes);
  const elapsed = performance.now() - started;
  if (outcome.kind === 'bug') throw new Error(`${what} threw ${String((outcome.error as Error).stack ?? outcome.error)}`);
  assert.ok(elapsed < MAX_CASE_MS, `${what} took ${Math.round(elapsed)} ms`);
  return outcome.kind === 'ok' ? 'ok' : outcome.code;
}

/** The real robomimic checkpoint and its model.nets as safetensors (written by our converter). */
async function realFiles(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const safetensors = join(dir, 'nets.safetensors');
  if (!existsSync(safetensors)) await convertCheckpoint(REFERENCE, safetensors, { stateDict: 'model.nets', durable: false });
  return [
    { name: 'robomimic.pth', bytes: Uint8Array.from(readFileSync(REFERENCE)) },
    { name: 'nets.safetensors', bytes: Uint8Array.from(readFileSync(safetensors)) },
  ];
}

test(`${CASES} mutated checkpoints each load or fail with a typed error, quickly and in flat memory`, async () => {
  const bases = await makeFuzzBases(dir);
  for (const base of bases) assert.ok((await loadEverything(join(dir, base.name))) > 0, `${base.name} is valid before mutation`);
  const random = seededRandom(20261124);
  const rssBefore = process.memoryUsage().rss;
  const outcomes = { ok: 0, typed: 0 };
  for (let index = 0; index < CASES; index++) {
    const base = bases[index % bases.length]!;
    const { bytes, how } = mutate(base.bytes, random);
    const outcome = await expectHandled(`case${extname(base.name)}`, bytes, `case ${index} (${base.name}, ${how})`);
    outcomes[outcome === 'ok' ? 'ok' : 'typed'] += 1;
  }
  assert.ok(outcomes.typed > CASES / 3, `most mutations are refused (${JSON.stringify(outcomes)})`);
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'memory stays flat');
});

test('every hostile case is refused with a typed error naming the file; no payload runs, though CPython runs one', async () => {
  const cases = await makeHostileCases(dir, markers);
  assert.ok(cases.length > 60, `${cases.length} cases`);
  const codes = new Set<string>();
  for (const { name, bytes } of cases) {
    const outcome = await expectHandled(`hostile-${name}`, bytes, name);
    assert.is.not(outcome, 'ok', `${name} was accepted`);
    codes.add(outcome);
  }
  assert.ok(['format/unsafe-global', 'format/pickle-limit', 'format/zip-duplicate-member', 'format/bad-deflate', 'format/safetensors-header'].every((code) => codes.has(code)), [...codes].join(', '));
  assert.equal(readdirSync(markers), [], 'no payload executed');
  assert.ok(existsSync(executeWithCPython(dir, markers)), "CPython's pickle.load runs the same payload");
  rmSync(join(markers, 'System-p2'));
});

test('the real robomimic checkpoint and a safetensors file, cut at every 5%, are refused', async () => {
  for (const { name, bytes } of await realFiles()) {
    for (let percent = 0; percent < 100; percent += 5) {
      const cut = bytes.subarray(0, Math.floor((bytes.length * percent) / 100));
      assert.is.not(await expectHandled(`cut-${name}`, cut, `${name} cut at ${percent}%`), 'ok', `${name} cut at ${percent}% was accepted`);
    }
  }
});

test(`${FLIPS} byte-flip mutants each of the real checkpoint and the safetensors file load or are refused`, async () => {
  const random = seededRandom(13);
  for (const { name, bytes } of await realFiles()) {
    let refused = 0;
    for (let index = 0; index < FLIPS; index++) {
      const { bytes: flipped, how } = flipBytes(bytes, random);
      if ((await expectHandled(`flip-${name}`, flipped, `${name} mutant ${index} (${how})`)) !== 'ok') refused += 1;
    }
    assert.ok(refused > 0, `some ${name} mutants are refused`);
  }
});

test('garbage remaps get error diagnostics that name the file, quickly, and never throw', () => {
  for (const { name, bytes } of garbageRemaps(seededRandom(5))) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const started = performance.now();
    const { diagnostics } = analyzeRemap(readRemapSource(path), path);
    assert.ok(performance.now() - started < MAX_CASE_MS, `${name} took ${Math.round(performance.now() - started)} ms`);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0, `${name} has errors`);
    assert.ok(errors.every((d) => d.spans[0]?.file === path), name);
  }
});

test('the real CLI process: exit 3 naming the file for a payload and a cut safetensors, 1 for a garbage remap; no stack trace', async () => {
  const [, safetensors] = await realFiles();
  const payload = join(dir, 'payload.pth');
  writeFileSync(payload, (await makeHostileCases(join(dir, 'cli'), markers)).find((c) => c.name === 'System-p2-zip.pth')!.bytes);
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, safetensors!.bytes.subarray(0, safetensors!.bytes.length / 2));
  const remap = join(dir, 'garbage.remap');
  writeFileSync(remap, garbageRemaps(seededRandom(6))[0]!.bytes);
  const runs: Array<[string[], number, string]> = [
    [['inspect', payload], 3, `surgery: ${payload} (member "archive/data.pkl", key "model.nets.w", offset `],
    [['convert', cut, join(dir, 'never.pth')], 3, `surgery: ${cut}`],
    [['check', remap], 1, `${remap}:`],
  ];
  for (const [argv, status, prefix] of runs) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...argv], { encoding: 'utf8', timeout: 60_000 });
    assert.is(run.status, status, `${argv.join(' ')}: ${run.stderr}`);
    assert.ok(`${run.stdout}${run.stderr}`.includes(prefix), `${argv[0]} names the file: ${run.stderr.slice(0, 300)}`);
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.not.ok(existsSync(join(dir, 'never.pth')));
  assert.equal(readdirSync(markers), [], 'no payload executed');
});

test.run();
