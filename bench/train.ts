/**
 * Training speed of `surgery train`'s step (loss, gradients, Adam, EMA) on the backend in use, for
 * the tiny LIBERO fork model (reference checkpoint, real data windows) and the full-size DROID
 * network (fresh weights, synthetic batch), next to a PyTorch CPU reference of the same
 * architecture and batch (`bench/reference/diffusion_policy_reference.py`, run with
 * /usr/bin/python3 when it has torch). For the tiny model the reference first loads the same
 * checkpoint with `load_state_dict(strict=True)`, which shows the two architectures match key for key.
 *
 *   node --import tsx bench/train.ts [--backend wasm|cpu|tensorflow] [--steps N] [--batch B] [--full-batch B] [--no-full]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
import { emaConfig } from '../src/train/ema.ts';
import { createRng } from '../src/random/rng.ts';
import { trainStep, type TrainerState } from '../src/train/train-step.ts';

const REFERENCE = fileURLToPath(new URL('../../shared/reference/', import.meta.url));
const PY_REFERENCE = fileURLToPath(new URL('./reference/diffusion_policy_reference.py', import.meta.url));
const option = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const backend = option('--backend', 'wasm') as BackendChoice;
const steps = Number(option('--steps', '5'));
const dir = mkdtempSync(join(tmpdir(), 'surgery-bench-train-'));

/** Times `steps` training steps after one warm-up step; returns steps/s. */
async function timeSteps(policy: Policy, batch: Batch, optimizer: TrainerState['optimizer']): Promise<{ stepsPerSecond: number; loss: number }> {
  const state: TrainerState = {
    policy,
    slots: policy.schema.params.map(() => null),
    paramPolicies: policy.schema.params.map(() => ({ lrFactor: 1, frozenUntil: 0 })),
    optimizer,
    baseLr: 1e-4,
    schedule: { kind: 'constant' },
    schedulerEpoch: 0,
    ema: emaConfig(0.75),
    emaOptimizationStep: 0,
    step: 0,
    rng: createRng(0),
  };
  await trainStep(state, batch);
  const started = performance.now();
  let loss = NaN;
  for (let i = 0; i < steps; i++) loss = (await trainStep(state, batch)).loss;
  const stepsPerSecond = steps / ((performance.now() - started) / 1000);
  for (const slot of state.slots) if (slot) tf.dispose([slot.expAvg, slot.expAvgSq]);
  return { stepsPerSecond, loss };
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

function runReference(name: string, spec: unknown, checkpoint?: string): string {
  const specPath = join(dir, `${name}.spec.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const args = [PY_REFERENCE, specPath, '--steps', String(steps), ...(checkpoint ? ['--checkpoint', checkpoint] : [])];
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (result.status !== 0) return `PyTorch reference failed: ${(result.stderr || result.error?.message || '').trim().split('\n').slice(-3).join(' ')}`;
  const lines = result.stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]!) as { steps_per_s: number; threads: number; params: number };
  return `${report.steps_per_s.toFixed(3)} steps/s (PyTorch CPU, ${report.threads} threads, ${report.params.toLocaleString()} params${checkpoint ? ', strict load of the same checkpoint ok' : ''})`;
}

async function tiny(): Promise<void> {
  const batchSize = Number(option('--batch', '8'));
  const name = 'fork_libero_tiny';
  const json = JSON.parse(readFileSync(join(REFERENCE, `${name}.config.json`), 'utf8'));
  const train = validateTrainConfig(json, name, { data: [join(REFERENCE, 'libero_fake_3demos.hdf5')] });
  const ds = await openSequenceDataset(train.sources, train.dataSpec);
  const batch = readBatch(ds, ds.samples.slice(0, batchSize));
  ds.close();
  const { policy } = await loadPolicy(join(REFERENCE, `${name}.ckpt.pth`));
  const ours = await timeSteps(policy, batch, train.optimizer);
  console.log(`tiny ${name} (B=${batchSize}, ${policy.config.noiseSamples} noise samples): ${ours.stepsPerSecond.toFixed(3)} steps/s on ${tf.getBackend()}`);
  console.log(`  reference: ${runReference('tiny', pythonSpec(policy.config, batchSize, train.optimizer), join(REFERENCE, `${name}.ckpt.pth`))}`);
  disposePolicy(policy);
}

async function full(): Promise<void> {
  const batchSize = Number(option('--full-batch', '2'));
  const json = JSON.parse(readFileSync(join(REFERENCE, 'full_size', 'droid_rlds_config.json'), 'utf8'));
  const allShapes = new Map<string, number[]>([
    ['robot_state/cartesian_position', [6]],
    ['robot_state/gripper_position', [1]],
    ['camera/image/varied_camera_1_left_image', [3, 128, 128]],
    ['camera/image/varied_camera_2_left_image', [3, 128, 128]],
  ]);
  const { config } = validatePolicyConfig(json, 'droid_rlds_config.json', { acDim: 10, allShapes });
  const schema = policySchema(config);
  const nets = createWeights(schema, initialValues(schema, createRng(0)), true);
  const ema = createWeights(schema, initialValues(schema, createRng(0)), false);
  const policy = buildPolicy(config, nets, ema);
  const rng = createRng(1);
  const To = config.horizon.observation;
  const Tp = config.horizon.prediction;
  const obs: Batch['obs'] = {};
  for (const k of config.obsKeys) {
    const shape = k.modality === 'rgb' ? [batchSize, To, k.shape[1]!, k.shape[2]!, k.shape[0]!] : [batchSize, To, ...k.shape];
    obs[k.key] = { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform()) };
  }
  const batch: Batch = { obs, actions: { shape: [batchSize, Tp, 10], data: Float32Array.from({ length: batchSize * Tp * 10 }, () => rng.uniform() * 2 - 1) }, refs: [] };
  // The DROID config reads RLDS data; only its optimizer settings matter here.
  const optimizer = validateTrainConfig(json, 'droid_rlds_config.json', { data: ['(rlds, not read)'] }).optimizer;
  const params = schema.params.filter((p) => p.trainable).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  console.log(`full-size DROID (${params.toLocaleString()} params, B=${batchSize}, ${config.noiseSamples} noise samples):`);
  console.log(`  reference: ${runReference('full', pythonSpec(config, batchSize, optimizer))}`);
  try {
    const ours = await timeSteps(policy, batch, optimizer);
    console.log(`  surgery train step: ${ours.stepsPerSecond.toFixed(4)} steps/s on ${tf.getBackend()}`);
  } catch (error) {
    // The wasm backend's 32-bit heap cannot hold nets + EMA + Adam moments + activations of this size.
    console.log(`  surgery train step on ${tf.getBackend()} failed: ${(error as Error).message}`);
  }
  disposePolicy(policy);
}

const selected = await selectBackend(backend);
console.log(`backend ${selected.name}${selected.note ? ` (${selected.note})` : ''}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${steps} timed steps after one warm-up`);
try {
  await tiny();
  if (!process.argv.includes('--no-full')) await full();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
