/**
 * Policy speed per backend: for each tiny reference checkpoint, the time to load it, encode an
 * observation batch (B=2, To=2), run one UNet pass, sample a full trajectory (DDIM 10 / DDPM 100
 * steps) and take one training step's loss and gradients. With `--full`, also one encoder + UNet
 * pass and one training step of the full-size DROID network (122M parameters, fresh weights).
 * Best of ROUNDS (default 3) runs.
 *
 *   [ROUNDS=3] node --import tsx bench/model-speed.ts [--backend wasm|cpu|tensorflow] [--full]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendChoice } from '../src/model/backend.ts';
import { validatePolicyConfig } from '../src/model/config.ts';
import { encodeObs, type ObsBatch } from '../src/model/encoder.ts';
import { initialValues } from '../src/model/init-weights.ts';
import { loadPolicy } from '../src/model/load-policy.ts';
import { lossAndGrads } from '../src/model/loss.ts';
import { buildPolicy, disposePolicy, type Policy } from '../src/model/policy.ts';
import { sampleActions } from '../src/model/sample-actions.ts';
import { policySchema } from '../src/model/schema.ts';
import { predictNoise } from '../src/model/unet.ts';
import { createWeights } from '../src/model/weights.ts';
import { createRng } from '../src/random/rng.ts';
import { REFERENCE_DIR } from '../test/support/reference.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const arg = (name: string) => process.argv.includes(name);
const backend = (process.argv[process.argv.indexOf('--backend') + 1] ?? 'wasm') as BackendChoice;

async function best(label: string, fn: () => unknown, rounds = ROUNDS): Promise<void> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  console.log(`  ${label.padEnd(34)} ${min.toFixed(0).padStart(7)} ms`);
}

/** Random observations and draws of the policy's shapes (values do not change the cost). */
function randomInputs(policy: Policy, batch: number): { obs: ObsBatch; noise: tf.Tensor4D; timesteps: number[]; actions: tf.Tensor3D } {
  const { config } = policy;
  const obs: ObsBatch = new Map();
  for (const k of config.obsKeys) {
    const shape = k.modality === 'rgb' ? [batch, config.horizon.observation, k.shape[1]!, k.shape[2]!, k.shape[0]!] : [batch, config.horizon.observation, ...k.shape];
    obs.set(k.key, tf.randomUniform(shape));
  }
  const act: [number, number, number] = [batch, config.horizon.prediction, config.acDim];
  return {
    obs,
    noise: tf.randomNormal([config.noiseSamples, ...act]),
    timesteps: Array.from({ length: batch }, (_, i) => (17 * i + 3) % config.scheduler.numTrainTimesteps),
    actions: tf.clipByValue(tf.randomNormal(act), -1, 1),
  };
}

async function timePolicy(policy: Policy, batch: number, sampling: boolean): Promise<void> {
  const { obs, noise, timesteps, actions } = randomInputs(policy, batch);
  const weights = policy.ema ?? policy.nets;
  await best(`encode obs (B=${batch})`, () => tf.tidy(() => void encodeObs(policy.config, policy.schema, weights, obs).dataSync()));
  const cond = tf.tidy(() => tf.reshape(encodeObs(policy.config, policy.schema, weights, obs), [batch, -1]) as tf.Tensor2D);
  const sample = tf.tidy(() => tf.squeeze(tf.slice(noise, [0, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D);
  await best('UNet pass', () => tf.tidy(() => void predictNoise(policy.config, policy.schema, weights, sample, timesteps, cond).dataSync()));
  if (sampling) {
    await best(`sample (${policy.config.scheduler.kind}, ${policy.config.scheduler.numInferenceTimesteps} steps)`, async () => {
      const variance = tf.randomNormal([policy.config.scheduler.numInferenceTimesteps - 1, ...sample.shape]) as tf.Tensor4D;
      const r = await sampleActions(policy, weights, obs, { initialNoise: sample, perStepVarianceNoise: variance });
      tf.dispose([variance, r.trajectory, r.actions]);
    });
  }
  await best(`loss + gradients (${policy.config.noiseSamples}×B rows)`, async () => {
    const r = await lossAndGrads(policy, { obs, actions }, { noise, timesteps });
    for (const g of r.grads) g?.dispose();
  });
  tf.dispose([...obs.values(), noise, actions, cond, sample]);
}

const selected = await selectBackend(backend);
console.log(`backend ${selected.name}${selected.note ? ` (${selected.note})` : ''}; load average ${loadavg()[0]!.toFixed(1)}; best of ${ROUNDS}`);
for (const name of ['fork_droid_tiny', 'fork_libero_tiny', 'upstream_libero_tiny']) {
  const t = performance.now();
  const { policy } = await loadPolicy(`${REFERENCE_DIR}${name}.ckpt.pth`);
  console.log(`${name}: load ${(performance.now() - t).toFixed(0)} ms`);
  await timePolicy(policy, 2, true);
  disposePolicy(policy);
}
if (arg('--full')) {
  const path = `${REFERENCE_DIR}full_size/droid_rlds_config.json`;
  const { config } = validatePolicyConfig(readFileSync(path, 'utf8'), path);
  const schema = policySchema(config);
  const t = performance.now();
  const nets = createWeights(schema, initialValues(schema, createRng(0)), true);
  console.log(`full-size DROID: fresh weights ${(performance.now() - t).toFixed(0)} ms`);
  const policy = buildPolicy(config, nets, null);
  await timePolicy(policy, 1, false);
  disposePolicy(policy);
}
