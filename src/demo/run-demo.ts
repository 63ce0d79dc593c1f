/**
 * `surgery demo`: the whole DROID → LIBERO story on bundled inputs, offline, in a few minutes on a
 * CPU. Orchestration only: every step is the function a `surgery` command calls (init, suggest, check,
 * plan, apply, verify, train, predict); this module wires their outputs together and says what each one showed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeSyntheticLibero } from '../data/write-synthetic-libero.ts';
import { InputError } from '../input-error.ts';
import { selectBackend, type BackendChoice } from '../model/backend.ts';
import { initCheckpoint } from '../model/init-checkpoint.ts';
import { predict } from '../model/predict.ts';
import { runApply } from '../plan/run-apply.ts';
import { runPlan } from '../plan/run-plan.ts';
import { checkRemapFiles } from '../remap-check/check-remap-files.ts';
import { runSuggest } from '../suggest/run-suggest.ts';
import { runTraining } from '../train/run-training.ts';
import { renderVerify } from '../verify/render-verify.ts';
import { runVerify } from '../verify/run-verify.ts';
import type { VerifyReport, VerifyRow } from '../verify/verify-report.ts';
import { writeHeldOutObservation } from './held-out-observation.ts';
import { packageRoot } from '../package-root.ts';

export interface DemoOptions {
  /** Output folder; emptied first when it holds an earlier demo's files, refused when it holds anything else. */
  out: string;
  epochs: number;
  stepsPerEpoch: number;
  backend: BackendChoice;
  /** One line per step: where the artefact is and what it showed. */
  print: (line: string) => void;
  /** Where the trainer's progress bar goes; null silences it. */
  progress: NodeJS.WriteStream | null;
}

/** The bundled inputs, relative to the package root (the example README walks through the same files). */
const BUNDLED = {
  droidConfig: 'examples/droid-to-libero/configs/droid.json',
  liberoConfig: 'examples/droid-to-libero/configs/libero.json',
  remap: 'remaps/droid-to-libero.remap',
} as const;

/** Synthetic LIBERO data: four training demos and one held out (mask/valid), 32×32 images as the configs say. */
const DATA = { demos: 5, length: 24, imageSize: 32, heldOut: 'demo_4', heldOutStep: 10 } as const;

/** Marks a folder as the demo's own, so a second run may clear it. */
const MARKER = '.surgery-demo';

/** What the demo produced and measured. */
export interface DemoSummary {
  artefacts: Record<'droid' | 'data' | 'target' | 'draft' | 'plan' | 'applied' | 'verify' | 'observation' | 'train' | 'checkpoint' | 'prediction', string>;
  /** What `suggest` drafted: tensors per plan status, and whether they are key for key the bundled remap's. */
  draft: { counts: Record<string, number>; guesses: number; sameAsBundled: boolean };
  /** Per state dict and image encoder of the applied checkpoint, the max |Δ| `verify` measured against its source. */
  encoderMaxAbsDiff: Array<{ stateDict: string; encoder: string; maxAbsDiff: number | null }>;
  /** % of the target's parameters that came from the DROID checkpoint (loaded, renamed or assembled). */
  transferredPercent: number;
  /** Training loss: mean of the first and of the last few steps. */
  lossStart: number;
  lossEnd: number;
  /** `[Ta][ac]` predicted (unnormalised) actions, and the held-out demo's own. */
  predicted: number[][];
  demonstrated: number[][];
  /** Mean squared error predicted vs demonstrated, with the applied checkpoint and after training. */
  mseBefore: number;
  mseAfter: number;
  seconds: number;
}

/** Returns what the demo produced and measured, after running every step into `options.out`. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const out = prepareOutDir(options.out);
  const root = packageRoot();
  const bundled = { droidConfig: shown(join(root, BUNDLED.droidConfig)), liberoConfig: shown(join(root, BUNDLED.liberoConfig)), remap: shown(join(root, BUNDLED.remap)) };
  const at = (name: string) => shown(join(out, name));
  const a = { droid: at('droid.pth'), data: at('libero_demo.hdf5'), target: at('libero-init.pth'), draft: at('draft.remap'), plan: at('plan.md'), applied: at('applied.pth'), verify: at('verify.md'), observation: at('held-out-obs.pth'), train: at('train'), checkpoint: '', prediction: at('prediction.json') };
  const step = stepPrinter(options.print, 11);
  const backend = await selectBackend(options.backend);
  options.print(`surgery demo: DROID diffusion policy → LIBERO, end to end, into ${shown(out)}/`);
  options.print(`backend: ${backend.name}${backend.note ? ` (${backend.note})` : ''}`);

  await makeSource(step, bundled.droidConfig, a.droid);
  await makeData(step, a.data);
  await makeTarget(step, bundled.liberoConfig, a.target);
  // The demo goes on with the bundled remap, not the draft: it is the reviewed file the example README explains line
  // by line (the same as for full-size networks), and the suggest step shows the draft transfers exactly what it does.
  const draft = await suggestRemap(step, { source: a.droid, target: a.target, output: a.draft, bundled: bundled.remap });
  checkRemap(step, bundled.remap);
  const transferredPercent = await planSurgery(step, { source: a.droid, remap: bundled.remap, target: a.target, report: a.plan });
  await applySurgery(step, { source: a.droid, remap: bundled.remap, target: a.target, output: a.applied, report: at('apply-report.txt') });
  const encoderMaxAbsDiff = await verifySurgery(step, options.backend, { source: a.droid, output: a.applied, report: a.verify });
  const demonstrated = await cutObservation(step, a.data, a.observation, bundled.liberoConfig);
  const before = await predictActions(options.backend, a.applied, a.observation, at('prediction-before-training.json'));
  const trained = await trainPolicy(step, options, { config: bundled.liberoConfig, data: a.data, init: a.applied, out: a.train, log: at('train.log') });
  a.checkpoint = trained.checkpoint;
  const after = await predictActions(options.backend, a.checkpoint, a.observation, a.prediction);
  const summary: DemoSummary = {
    artefacts: a,
    draft,
    encoderMaxAbsDiff,
    transferredPercent,
    lossStart: trained.lossStart,
    lossEnd: trained.lossEnd,
    predicted: after,
    demonstrated,
    mseBefore: mse(before, demonstrated),
    mseAfter: mse(after, demonstrated),
    seconds: (Date.now() - started) / 1000,
  };
  reportPrediction(step, summary);
  options.print(`done in ${summary.seconds.toFixed(0)} s. Next: read ${a.draft}, ${a.plan} and ${a.verify}, then examples/droid-to-libero/README.md for the same steps on a real DROID checkpoint and real LIBERO suites.`);
  return summary;
}

type Step = (title: string, ...details: string[]) => void;

/** Returns a printer of numbered steps, each with indented detail lines. */
function stepPrinter(print: (line: string) => void, total: number): Step {
  let n = 0;
  return (title, ...details) => {
    n += 1;
    print(`\n[${n}/${total}] ${title}`);
    for (const line of details) print(`      ${line}`);
  };
}

async function makeSource(step: Step, config: string, out: string): Promise<void> {
  const made = await initCheckpoint({ configPath: config, out, seed: 1 });
  step(
    'DROID-layout source checkpoint (`surgery init`, stands in for your pretrained DROID policy)',
    `${out}: ${made.keys} keys in model.nets and model.ema, ${made.parameters.toLocaleString('en-US')} parameters, from ${config}`,
    ...made.warnings.map((w) => `note: ${w}`),
  );
}

async function makeData(step: Step, out: string): Promise<void> {
  const demos = Array.from({ length: DATA.demos }, (_, i) => `demo_${i}`);
  await writeSyntheticLibero(out, { lengths: demos.map(() => DATA.length), imageSize: DATA.imageSize, seed: 7, masks: { train: demos.filter((d) => d !== DATA.heldOut), valid: [DATA.heldOut] } });
  step('LIBERO-format demonstrations (synthetic, LIBERO\'s HDF5 layout)', `${out}: ${DATA.demos} demos × ${DATA.length} steps, ${DATA.imageSize}×${DATA.imageSize} images; ${DATA.heldOut} is held out (mask/valid)`);
}

async function makeTarget(step: Step, config: string, out: string): Promise<void> {
  const made = await initCheckpoint({ configPath: config, out, seed: 2 });
  step('fresh LIBERO target checkpoint (`surgery init`)', `${out}: ${made.keys} keys, ${made.parameters.toLocaleString('en-US')} parameters, from ${config}`);
}

function checkRemap(step: Step, remap: string): void {
  const { output, clean } = checkRemapFiles([remap], { format: 'text', colour: false });
  if (!clean) throw new DemoStepError('check', `${remap} does not check:\n${output}`);
  step('check the remap (`surgery check`)', `${remap}: ${output.trim()}`);
}

/** Returns the tensors per status of the draft's plan and whether each key gets what the bundled remap gives it. */
async function suggestRemap(step: Step, files: { source: string; target: string; output: string; bundled: string }): Promise<DemoSummary['draft']> {
  const suggested = await runSuggest({ source: files.source, target: files.target, output: files.output, colour: false });
  if (suggested.exitCode !== 0) throw new DemoStepError('suggest', `no clean draft:\n${suggested.stderr}`);
  const [draft, bundled] = [await planJson(files.source, files.output, files.target), await planJson(files.source, files.bundled, files.target)];
  const counts = Object.fromEntries(draft.sections[0]!.summary.map((s) => [s.status, s.tensors]));
  const guesses = readFileSync(files.output, 'utf8').split('\n').filter((line) => line.startsWith('# guess:')).length;
  const sameAsBundled = JSON.stringify(transfers(draft)) === JSON.stringify(transfers(bundled));
  step(
    'draft the remap (`surgery suggest`)',
    `${files.output}: plans clean (strict); ${Object.entries(counts).map(([status, n]) => `${status} ${n}`).join(', ')} tensors; ${guesses} rule(s) marked guess (the tied camera renames)`,
    sameAsBundled ? `every key gets what ${files.bundled} gives it; the demo goes on with that reviewed file` : `differs from ${files.bundled} (compare the two plans); the demo goes on with the bundled file`,
  );
  return { counts, guesses, sameAsBundled };
}

/** Returns the strict plan of one remap as the JSON report. */
async function planJson(source: string, remap: string, target: string): Promise<PlanJson> {
  return JSON.parse((await runPlan({ source, remaps: [remap], target, mode: 'strict', fill: true, colour: false, format: 'json' })).stdout) as PlanJson;
}

/** Returns what a plan does to each key (from where, how, which column blocks), without the rule positions that name the file. */
function transfers(plan: PlanJson): string[] {
  const unplaced = (note: string | undefined) => (note ?? '').replace(/ \([^()]*:\d+\)/g, '');
  return plan.sections.flatMap((s) => s.modules.flatMap((m) => m.rows.map((r) => `${m.module} ${r.key} ${r.count} ${r.status} ${r.source ?? ''} ${unplaced(r.note)}`)));
}

/** Returns the % of target parameters transferred from the source, after writing the Markdown report. */
async function planSurgery(step: Step, files: { source: string; remap: string; target: string; report: string }): Promise<number> {
  const md = await runPlan({ source: files.source, remaps: [files.remap], target: files.target, mode: 'strict', fill: true, colour: false, format: 'md', report: files.report });
  if (md.exitCode !== 0) throw new DemoStepError('plan', `the plan failed; see ${files.report}\n${md.stderr}`);
  const json = await planJson(files.source, files.remap, files.target);
  const section = json.sections[0]!;
  const transferred = section.summary.filter((s) => TRANSFERRED.has(s.status)).reduce((n, s) => n + s.params, 0);
  const percent = (100 * transferred) / section.targetParams;
  const counts = section.summary.map((s) => `${s.status} ${s.tensors}`).join(', ');
  const expectations = json.expectations.filter((e) => e.passed).length;
  step(
    'dry run (`surgery plan --format md`)',
    `${files.report}: loads with strict=True; ${percent.toFixed(3)}% of the target's parameters transferred from DROID (${counts} tensors)`,
    `${expectations}/${json.expectations.length} expectations of the remap pass`,
  );
  return percent;
}

/** Statuses whose values come from the source checkpoint. */
const TRANSFERRED = new Set(['loaded', 'renamed', 'assembled']);

interface PlanJson {
  sections: {
    targetParams: number;
    summary: { status: string; tensors: number; params: number }[];
    modules: { module: string; rows: { key: string; status: string; source: string | null; count: number; note?: string }[] }[];
  }[];
  expectations: { passed: boolean }[];
}

async function applySurgery(step: Step, files: { source: string; remap: string; target: string; output: string; report: string }): Promise<void> {
  const outcome = await runApply({ source: files.source, remaps: [files.remap], target: files.target, mode: 'strict', fill: true, format: 'text', colour: false, report: files.report, output: files.output });
  if (outcome.exitCode !== 0) throw new DemoStepError('apply', `apply failed; see ${files.report}\n${outcome.stderr}`);
  step('the surgery (`surgery apply`)', `${files.output}: the LIBERO model with DROID's weights (config and metadata from the target); report ${files.report}`);
}

/** Returns each image encoder's max |Δ| between source and output on one probe batch, after writing the Markdown report. */
async function verifySurgery(step: Step, backend: BackendChoice, files: { source: string; output: string; report: string }): Promise<DemoSummary['encoderMaxAbsDiff']> {
  // One run: the JSON report is the report itself, so the Markdown is rendered from it rather than measured twice.
  const outcome = await runVerify({ source: files.source, output: files.output, backend, format: 'json', colour: false });
  const report = JSON.parse(outcome.stdout) as VerifyReport;
  writeFileSync(files.report, renderVerify(report, 'md'));
  if (outcome.exitCode !== 0) throw new DemoStepError('verify', `a submodule claimed copied differs; see ${files.report}`);
  const encoders = report.sections.flatMap((s) => s.rows.filter((r) => r.submodule.startsWith('encoder ')).map((r) => ({ stateDict: s.stateDict, encoder: r.submodule.slice('encoder '.length), maxAbsDiff: r.maxAbsDiff })));
  const notCopied = (row: VerifyRow) => {
    const n = row.notCopied.reduce((sum, k) => sum + k.count, 0);
    return `${row.submodule} (${n} tensor${n === 1 ? '' : 's'} ${[...new Set(row.notCopied.map((k) => k.status))].join('/')})`;
  };
  const unchecked = report.sections[0]!.rows.filter((r) => r.claim !== 'copied').map(notCopied);
  step(
    'prove the transfer (`surgery verify`)',
    `${files.report}: ${report.probe.rows} probe images per camera through source and output encoders`,
    ...encoders.map((e) => `${e.stateDict} ${e.encoder}: max |Δ| ${e.maxAbsDiff === null ? 'not run' : e.maxAbsDiff}`),
    `not claimed copied: ${unchecked.join(', ')}`,
  );
  return encoders;
}

/** Returns the held-out demo's actions, after writing its observation window. */
async function cutObservation(step: Step, data: string, out: string, liberoConfig: string): Promise<number[][]> {
  const config = JSON.parse(readFileSync(liberoConfig, 'utf8')) as LiberoConfigJson;
  const obs = config.observation.modalities.obs;
  const { observation_horizon: frames, action_horizon: actions } = config.algo.horizon;
  const demonstrated = await writeHeldOutObservation({ data, demo: DATA.heldOut, step: DATA.heldOutStep, obsKeys: [...obs.rgb, ...obs.low_dim], frames, actions, out });
  step('held-out observation', `${out}: ${DATA.heldOut} frames ${DATA.heldOutStep - frames + 1}..${DATA.heldOutStep} (never trained on), with the ${actions} actions the demo took next`);
  return demonstrated;
}

interface LiberoConfigJson {
  observation: { modalities: { obs: { rgb: string[]; low_dim: string[] } } };
  algo: { horizon: { observation_horizon: number; action_horizon: number } };
}

/** Returns the mean training loss over the first and the last few steps, and the final checkpoint. */
async function trainPolicy(step: Step, options: DemoOptions, files: { config: string; data: string; init: string; out: string; log: string }): Promise<{ lossStart: number; lossEnd: number; checkpoint: string }> {
  const losses: number[] = [];
  const lines: string[] = [];
  const summary = await runTraining({
    config: files.config,
    data: [files.data],
    init: files.init,
    load: 'strict',
    out: files.out,
    epochs: options.epochs,
    stepsPerEpoch: options.stepsPerEpoch,
    backend: options.backend,
    resume: false,
    log: (line) => lines.push(line),
    progress: options.progress,
    onStep: (_, loss) => losses.push(loss),
  });
  writeFileSync(files.log, `${lines.join('\n')}\n`);
  const window = Math.max(1, Math.min(5, Math.floor(losses.length / 4)));
  const lossStart = mean(losses.slice(0, window));
  const lossEnd = mean(losses.slice(-window));
  const checkpoint = shown(summary.checkpoint);
  step(
    `finetune on the LIBERO demos (\`surgery train --init ${files.init}\`)`,
    `${checkpoint}: ${summary.steps} steps; loss ${lossStart.toFixed(3)} → ${lossEnd.toFixed(3)} (mean of the first and last ${window} steps)${summary.lastValidLoss !== null ? `; held-out loss ${summary.lastValidLoss.toFixed(3)}` : ''}`,
    `metrics ${files.out}/metrics.jsonl, loss curve ${files.out}/loss.svg, load report and log ${files.log}`,
  );
  return { lossStart, lossEnd, checkpoint };
}

/** Returns the executed actions `[Ta][ac]` (unnormalised) the checkpoint's EMA weights predict, written to `out`. */
async function predictActions(backend: BackendChoice, checkpoint: string, obs: string, out: string): Promise<number[][]> {
  const p = await predict({ checkpoint, obs, out, seed: 0, backend });
  const [, steps, dim] = p.actionsUnnormalized.shape as [number, number, number];
  return Array.from({ length: steps }, (_, t) => Array.from(p.actionsUnnormalized.data.subarray(t * dim, (t + 1) * dim)));
}

function reportPrediction(step: Step, s: DemoSummary): void {
  const vector = (v: number[]) => `[${v.map((x) => x.toFixed(2)).join(', ')}]`;
  step(
    `predict on the held-out observation (\`surgery predict ${s.artefacts.checkpoint} --obs ${s.artefacts.observation}\`)`,
    `${s.artefacts.prediction}: first action ${vector(s.predicted[0]!)}`,
    `the demo's action:  ${vector(s.demonstrated[0]!)}`,
    `mean squared error over the ${s.predicted.length} executed steps: ${s.mseBefore.toFixed(3)} right after apply → ${s.mseAfter.toFixed(3)} after training`,
    '(a few dozen steps on four synthetic demos exercise the pipeline; they do not make a good policy)',
  );
}

/** Thrown when a step of the demo fails; names the step and where to look. */
export class DemoStepError extends Error {
  override name = 'DemoStepError';
  constructor(readonly step: string, detail: string) {
    super(`demo step "${step}" failed: ${detail}`);
  }
}

/** Returns the absolute output folder, empty and marked as the demo's. */
function prepareOutDir(out: string): string {
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) throw new InputError('demo/out-not-empty', out, `is not empty and was not made by \`surgery demo\`; choose another folder with --out.`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'Made by `surgery demo`; the next run empties this folder.\n');
  return dir;
}

/** Paths as the user would type them: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function mse(a: number[][], b: number[][]): number {
  const pairs = a.flatMap((row, t) => row.map((v, d) => (v - b[t]![d]!) ** 2));
  return mean(pairs);
}
