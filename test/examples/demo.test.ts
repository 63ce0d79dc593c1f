/**
 * `surgery demo` in a reduced-step mode (the full run is `npm run demo`, which .ci/run executes as the README
 * says): every step runs on the bundled inputs and reports what it produced.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoSummary } from '../../src/demo/run-demo.ts';
import { InputError } from '../../src/input-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'surgery-demo-'));
const lines: string[] = [];
let summary: DemoSummary;

test.before(async () => {
  summary = await runDemo({ out: join(dir, 'out'), epochs: 1, stepsPerEpoch: 2, backend: 'wasm', print: (line) => lines.push(line), progress: null });
});

test('every artefact the demo names exists', () => {
  for (const [name, path] of Object.entries(summary.artefacts)) assert.ok(existsSync(path), `${name}: ${path}`);
});

test('the plan transfers all but the reinitialised action layers, and the remap\'s expectations hold', () => {
  // reinit: UNet first conv + its residual conv (in-channels = ac 7) and final conv weight/bias; the rest comes over.
  assert.ok(summary.transferredPercent > 99.9 && summary.transferredPercent < 100, String(summary.transferredPercent));
  const plan = readFileSync(summary.artefacts.plan, 'utf8');
  assert.match(plan, '### surgery plan: ✅ ready (mode strict)');
  assert.match(lines.join('\n'), '6/6 expectations of the remap pass');
});

test('training ran from the applied checkpoint and prediction compares with the held-out demo', () => {
  assert.ok(Number.isFinite(summary.lossStart) && Number.isFinite(summary.lossEnd));
  assert.is(summary.predicted.length, 8); // Ta of the bundled LIBERO config
  assert.is(summary.predicted[0]!.length, 7); // LIBERO's action size
  assert.is(summary.demonstrated.length, 8);
  assert.ok(summary.predicted.flat().every(Number.isFinite));
  const prediction = JSON.parse(readFileSync(summary.artefacts.prediction, 'utf8')) as { actions_unnormalized: number[][][] };
  assert.equal(prediction.actions_unnormalized[0]![0]!.map((v) => Math.fround(v)), summary.predicted[0]!.map((v) => Math.fround(v)));
  const printed = lines.join('\n');
  assert.match(printed, '[9/9] predict on the held-out observation');
  assert.match(printed, /loss \d\.\d{3} → \d\.\d{3}/);
});

test('a non-empty folder the demo did not make is refused; its own is reused', async () => {
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'thesis.tex'), 'keep me');
  try {
    await runDemo({ out: foreign, epochs: 1, stepsPerEpoch: 1, backend: 'wasm', print: () => {}, progress: null });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, 'demo/out-not-empty');
  }
  assert.is(readFileSync(join(foreign, 'thesis.tex'), 'utf8'), 'keep me');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
