/**
 * Training speed of `surgery train`'s step (loss, gradients, Adam, EMA), each next to a PyTorch
 * reference of the same architecture and batch run in the same invocation
 * (`bench/reference/diffusion_policy_reference.py`, /usr/bin/python3), printed as a ratio: the
 * tiny LIBERO fork model (reference checkpoint, real data windows) on `--backend`, and the
 * full-size LIBERO network (fresh weights, synthetic batch) on `--full-backend`, with its memory
 * plan (src/train/plan-memory.ts) against the peak `tf.memory()` the timed steps reached. A step
 * the plan refuses is reported, not run; `--full-micro-batch M` differentiates the full-size batch in
 * passes of M (gradient accumulation, as `surgery train --micro-batch`), while PyTorch takes it whole. For the tiny model the reference first loads the same
 * checkpoint with `load_state_dict(strict=True)`, which shows the two architectures match key for key.
 * Both run the configs' train-mode randomizers as robomimic does: colour jitter per image (torchvision's
 * ops, written out in the reference: Debian's torch comes without torchvision) and per-image random crops.
 *
 *   node --import tsx bench/train.ts [--backend wasm|cpu|webgpu] [--full-backend B] [--steps N] [--full-steps N]
 *     [--batch B] [--full-batch B] [--full-micro-batch M] [--no-tiny] [--no-full] [--torch-device cpu|cuda]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendChoice } from '../src/model/backend.ts';
import { validatePolicyConfig, type PolicyConfig } from '../src/model/config.ts';
import { initialValues } from '../src/model/init-weights.ts';
import { loadPolicy } from '../src/model/load-policy.ts';
import { buildPolicy, disposePolicy, type Policy } from '../src/model/policy.ts';
import { policySchema } from '../src/model/schema.ts';
import { createWeights } from '../src/model/weights.ts';
import { openSequenceDataset } from '../src/data/sequence-dataset.ts';
import { readBatch, type Batch } from '../src/data/read-batch.ts';
import { validateTrainConfig } from '../src/train/train-config.ts';
import { createRng } from '../src/random/rng.ts';
import { drawRandomizers, randomizeImages } from '../src/model/randomize-images.ts';
import { initialTrainerState, trainStep, type TrainerState } from '../src/train/train-step.ts';
import { checkStepMemory, describeStepMemory, memoryBudget, type StepMemoryPlan } from '../src/train/plan-memory.ts';
import { InputError } from '../src/input-error.ts';
import { numelOf } from '../src/checkpoint/py-value.ts';
import { REFERENCE_DIR } from '../test/support/reference.ts';
import { syntheticBatch } from '../test/support/synthetic-batch.ts';

const FULL_CONFIG = fileURLToPath(new URL('../examples/droid-to-libero/configs/full-size/libero.json', import.meta.url));
const PY_REFERENCE = fileURLToPath(new URL('./reference/diffusion_policy_reference.py', import.meta.url));
const option = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const backend = option('--backend', 'wasm') as BackendChoice;
const fullBackend = option('--full-backend', backend) as BackendChoice;
const steps = Number(option('--steps', '5'));
const fullSteps = Number(option('--full-steps', String(steps)));
const torchDevice = option('--torch-device', 'cpu');
const dir = mkdtempSync(join(tmpdir(), 'surgery-bench-train-'));
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

interface Timing {
  stepsPerSecond: number;
  loss: number;
  /** The highest `tf.memory().numBytes` a step reached. */
  peakBytes: number;
  /** Host randomizers (crops, colour jitter) per batch, off the timed steps. */
  randomizeSeconds: number;
}

/**
 * Times `count` training steps (in micro-batches of `microBatch`, if given) after one warm-up step
 * (which also makes the Adam moments), then takes one more step under `tf.profile` for its peak
 * memory: the profiler's bookkeeping per kernel would add ~15% to the timed steps on wasm. Each
 * timed step takes a batch randomized beforehand, as `surgery train`'s batch worker hands them over
 * (it randomizes the next batch while a step runs); the time that randomizing took on this thread
 * is reported beside, for a machine without a core to spare.
 */
async function timeSteps(policy: Policy, batch: Batch, optimizer: TrainerState['optimizer'], count: number, microBatch?: number): Promise<Timing> {
  const state = initialTrainerState(policy, { optimizer, learningRate: 1e-4, schedule: { kind: 'constant' } }, createRng(0));
  await trainStep(state, batch, microBatch);
  const { config } = policy;
  const rows = batch.actions.shape[0]! * config.horizon.observation;
  const randomizing = performance.now();
  const batches = Array.from({ length: count }, (): Batch => ({ ...batch, obs: randomizeImages(config, batch.obs, drawRandomizers(config, rows, state.rng.uniform)) }));
  const randomizeSeconds = (performance.now() - randomizing) / 1000 / count;
  let loss = NaN;
  const started = performance.now();
  for (const randomized of batches) loss = (await trainStep(state, randomized, microBatch)).loss;
  const stepsPerSecond = count / ((performance.now() - started) / 1000);
  const profile = await tf.profile(async () => {
    await trainStep(state, batch, microBatch);
  });
  for (const slot of state.slots) if (slot) tf.dispose([slot.expAvg, slot.expAvgSq]);
  return { stepsPerSecond, loss, peakBytes: profile.peakBytes, randomizeSeconds };
}

/** The architecture description the Python reference builds its model from. */
function pythonSpec(config: PolicyConfig, batchSize: number, optimizer: TrainerState['optimizer']): unknown {
  return {
    code: config.code,
    obs_keys: config.obsKeys.map((k) => [k.key, k.modality, k.shape]),
    shared_cores: Object.fromEntries(config.obsKeys.filter((k) => k.sharesCoreOf).map((k) => [k.key, k.sharesCoreOf])),
    backbone: config.rgb.backbone,
    stem: config.rgb.stem,
    planes: config.rgb.planes,
    pool: config.rgb.pool?.numKp ?? null,
    feature_dim: config.rgb.featureDim,
    crop: [config.rgb.crop!.height, config.rgb.crop!.width],
    randomizers: config.rgb.randomizerOrder.map((kind) => {
      if (kind === 'crop') return ['crop', { height: config.rgb.crop!.height, width: config.rgb.crop!.width, num_crops: config.rgb.crop!.numCrops }];
      const { numSamples, ...ranges } = config.rgb.color!;
      return ['color', { ...ranges, num_samples: numSamples }];
    }),
    combine: config.combine ? [...config.combine.hidden, config.combine.out] : null,
    unet: { step_embed_dim: config.unet.stepEmbedDim, down_dims: config.unet.downDims, kernel_size: config.unet.kernelSize, n_groups: config.unet.nGroups },
    ac_dim: config.acDim,
    horizon: [config.horizon.observation, config.horizon.prediction],
    noise_samples: config.noiseSamples,
    batch_size: batchSize,
    optimizer: optimizer.kind,
    lr: 1e-4,
    weight_decay: optimizer.weightDecay,
    ema_power: config.ema.power,
  };
}

interface Reference {
  stepsPerSecond: number | null;
  /** What ran, or why it failed. */
  line: string;
}

function runReference(name: string, spec: unknown, count: number, checkpoint?: string): Reference {
  const specPath = join(dir, `${name}.spec.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const args = [PY_REFERENCE, specPath, '--steps', String(count), '--device', torchDevice, ...(checkpoint ? ['--checkpoint', checkpoint] : [])];
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (result.status !== 0) return { stepsPerSecond: null, line: `PyTorch reference failed: ${(result.stderr || result.error?.message || '').trim().split('\n').slice(-3).join(' ')}` };
  const lines = result.stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]!) as { steps_per_s: number; threads: number; params: number; device: string; peak_bytes: number | null };
  const where = report.device === 'cpu' ? `PyTorch CPU, ${report.threads} threads` : `PyTorch ${report.device}, peak ${gib(report.peak_bytes ?? 0)} (torch.cuda.max_memory_allocated)`;
  return {
    stepsPerSecond: report.steps_per_s,
    line: `${report.steps_per_s.toFixed(4)} steps/s (${where}, ${report.params.toLocaleString()} params${checkpoint ? ', strict load of the same checkpoint ok' : ''})`,
  };
}

/** The side-by-side line: ours, the reference, and ours as a multiple of it. */
function compare(ours: number | null, oursOn: string, reference: Reference): string {
  const ratio = ours !== null && reference.stepsPerSecond ? `  →  ${(ours / reference.stepsPerSecond).toFixed(2)}x PyTorch` : '';
  return `  surgery ${ours === null ? 'not run' : `${ours.toFixed(4)} steps/s`} on ${oursOn}  |  ${reference.line}${ratio}`;
}

async function tiny(): Promise<void> {
  await selectBackend(backend);
  const batchSize = Number(option('--batch', '8'));
  const name = 'fork_libero_tiny';
  const json = JSON.parse(readFileSync(join(REFERENCE_DIR, `${name}.config.json`), 'utf8'));
  const train = validateTrainConfig(json, name, { data: [join(REFERENCE_DIR, 'libero_fake_3demos.hdf5')] });
  const ds = await openSequenceDataset(train.sources, train.dataSpec);
  const batch = readBatch(ds, ds.samples.slice(0, batchSize));
  ds.close();
  const { policy } = await loadPolicy(join(REFERENCE_DIR, `${name}.ckpt.pth`));
  console.log(`tiny ${name} (B=${batchSize}, ${policy.config.noiseSamples} noise samples), load average ${load()}:`);
  const ours = await timeSteps(policy, batch, train.optimizer, steps);
  const reference = runReference('tiny', pythonSpec(policy.config, batchSize, train.optimizer), steps, join(REFERENCE_DIR, `${name}.ckpt.pth`));
  console.log(compare(ours.stepsPerSecond, tf.getBackend(), reference));
  console.log(describeRandomizing(ours));
  disposePolicy(policy);
}

async function full(): Promise<void> {
  const selected = await selectBackend(fullBackend);
  const batchSize = Number(option('--full-batch', '2'));
  const microBatch = process.argv.includes('--full-micro-batch') ? Number(option('--full-micro-batch', '')) : undefined;
  const json = JSON.parse(readFileSync(FULL_CONFIG, 'utf8'));
  const allShapes = new Map<string, number[]>([
    ['ee_pos', [3]],
    ['ee_ori', [3]],
    ['gripper_states', [2]],
    ['agentview_rgb', [3, 128, 128]],
    ['eye_in_hand_rgb', [3, 128, 128]],
  ]);
  const { config } = validatePolicyConfig(json, FULL_CONFIG, { acDim: 7, allShapes });
  const schema = policySchema(config);
  const optimizer = validateTrainConfig(json, FULL_CONFIG, { data: ['(synthetic batch, not read)'] }).optimizer;
  const params = schema.params.filter((p) => p.trainable).reduce((n, p) => n + numelOf(p.shape), 0);
  const split = microBatch !== undefined && microBatch < batchSize ? ` in micro-batches of ${microBatch}` : '';
  console.log(`full-size LIBERO (${params.toLocaleString()} params, B=${batchSize}${split}, ${config.noiseSamples} noise samples), load average ${load()}:`);
  const budget = memoryBudget(selected.name);
  let plan: StepMemoryPlan | null = null;
  try {
    plan = checkStepMemory(config, schema, { batchSize, microBatch }, selected.name, budget, FULL_CONFIG);
    console.log(`  ${describeStepMemory(plan, budget)}`);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.log(`  refused on ${selected.name}: ${error.detail}`);
  }
  let ours: Timing | null = null;
  if (plan) {
    const policy = buildPolicy(config, createWeights(schema, initialValues(schema, createRng(0)), true), createWeights(schema, initialValues(schema, createRng(0)), false));
    ours = await timeSteps(policy, syntheticBatch(config, batchSize), optimizer, fullSteps, microBatch);
    console.log(`  memory: estimated ${gib(plan.total)}, peak tf.memory().numBytes ${gib(ours.peakBytes)} (estimate / peak = ${(plan.total / ours.peakBytes).toFixed(2)})`);
    disposePolicy(policy);
  }
  const reference = runReference('full', pythonSpec(config, batchSize, optimizer), fullSteps);
  console.log(compare(ours?.stepsPerSecond ?? null, selected.name, reference));
  if (ours) console.log(describeRandomizing(ours));
}

/** The randomizers' host time per batch, and the step rate had it run inline before each step. */
function describeRandomizing(timing: Timing): string {
  const inline = 1 / (1 / timing.stepsPerSecond + timing.randomizeSeconds);
  return `  host randomizers ${(timing.randomizeSeconds * 1000).toFixed(1)} ms per batch, on surgery train's batch worker during the step before (inline: ${inline.toFixed(4)} steps/s)`;
}

/** The machine is shared: every result says how loaded it was. */
function load(): string {
  return loadavg().map((l) => l.toFixed(1)).join(' ');
}

console.log(`bench/train.ts: ${steps} timed steps (tiny), ${fullSteps} (full size), each after one warm-up; ${cpus().length} CPUs`);
try {
  if (!process.argv.includes('--no-tiny')) await tiny();
  if (!process.argv.includes('--no-full')) await full();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
