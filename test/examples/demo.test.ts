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
import { runPlan } from '../../src/plan/run-plan.ts';

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

/** Returns the tensors per status of the strict plan of `remap` between the demo's source and target. */
async function planCounts(remap: string): Promise<Record<string, number>> {
  const outcome = await runPlan({ source: summary.artefacts.droid, remaps: [remap], target: summary.artefacts.target, mode: 'strict', fill: true, colour: false, format: 'json' });
  assert.is(outcome.exitCode, 0, outcome.stderr);
  const section = JSON.parse(outcome.stdout).sections[0] as { summary: { status: string; tensors: number }[] };
  return Object.fromEntries(section.summary.map((s) => [s.status, s.tensors]));
}

test('suggest drafts a remap that plans clean and transfers what the bundled remap does', async () => {
  const drafted = await planCounts(summary.artefacts.draft);
  assert.equal(summary.draft.counts, drafted);
  assert.equal(drafted, await planCounts(new URL('../../remaps/droid-to-libero.remap', import.meta.url).pathname));
  assert.ok(summary.draft.sameAsBundled);
  const guesses = readFileSync(summary.artefacts.draft, 'utf8').split('\n').filter((l) => l.startsWith('# guess:')).length;
  assert.is(summary.draft.guesses, guesses);
  const printed = lines.join('\n');
  assert.match(printed, `${Object.entries(drafted).map(([status, n]) => `${status} ${n}`).join(', ')} tensors; ${guesses} rule(s) marked guess`);
});

test('verify finds every camera encoder of both state dicts unchanged by the surgery', () => {
  const config = JSON.parse(readFileSync(new URL('../../examples/droid-to-libero/configs/libero.json', import.meta.url), 'utf8')) as { observation: { modalities: { obs: { rgb: string[] } } } };
  const cameras = config.observation.modalities.obs.rgb;
  const measured = summary.encoderMaxAbsDiff;
  assert.equal(measured.map((e) => `${e.stateDict} ${e.encoder}`), ['model.nets', 'model.ema'].flatMap((d) => cameras.map((c) => `${d} ${c}`)));
  assert.ok(measured.every((e) => e.maxAbsDiff === 0), JSON.stringify(measured));
  assert.match(readFileSync(summary.artefacts.verify, 'utf8'), '## surgery verify: ✅');
  const printed = lines.join('\n');
  for (const e of measured) assert.match(printed, `${e.stateDict} ${e.encoder}: max |Δ| ${e.maxAbsDiff}`);
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
  assert.match(printed, '[11/11] predict on the held-out observation');
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
