/**
 * A tiny diffusion-policy setup for trainer tests: a fork-style LIBERO config with one 32×32
 * camera, a narrow ResNet trunk and UNet, a synthetic LIBERO file written with h5wasm, and an
 * init checkpoint with those narrow widths (robomimic hard-codes trunk widths, so they can only
 * come from a checkpoint's shapes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatePolicyConfig, type PolicyConfig } from '../../src/model/config.ts';
import { policySchema } from '../../src/model/schema.ts';
import { createWeights, disposeWeights, stateDictFromWeights } from '../../src/model/weights.ts';
import { writeCheckpoint } from '../../src/checkpoint/write-checkpoint.ts';
import { writeSyntheticLibero } from '../../src/data/write-synthetic-libero.ts';
import { initialValues } from '../../src/model/init-weights.ts';
import { createRng } from '../../src/random/rng.ts';
import { checkpointTree } from '../../src/train/training-checkpoint.ts';
import { robomimicMetadata } from '../../src/model/robomimic-metadata.ts';
import { REFERENCE_DIR } from '../support/reference.ts';


/**
 * Returns the tiny config JSON (the fork LIBERO tiny config, shrunk); `images: false` drops the
 * camera (a low-dim policy, which trains several times faster per step).
 */
export function tinyConfigJson(images = true): Record<string, any> {
  const json = JSON.parse(readFileSync(join(REFERENCE_DIR, 'fork_libero_tiny.config.json'), 'utf8'));
  json.observation.modalities.obs.rgb = images ? ['agentview_rgb'] : [];
  json.observation.modalities.obs.low_dim = ['ee_pos', 'gripper_states'];
  json.observation.image_dim = [32, 32];
  // Crop only: robomimic's train-mode colour jitter costs a dozen small ops per image row, too slow for a unit test.
  json.observation.encoder.rgb.obs_randomizer_class = ['CropRandomizer'];
  json.observation.encoder.rgb.obs_randomizer_kwargs = [{ crop_height: 28, crop_width: 28, num_crops: 1, pos_enc: false }];
  json.observation.encoder.rgb.core_kwargs.feature_dimension = 16;
  json.algo.noise_samples = 4;
  json.algo.unet.diffusion_step_embed_dim = 16;
  json.algo.unet.down_dims = [16, 32, 64];
  json.algo.optim_params.policy.learning_rate.initial = 3e-3;
  json.train.batch_size = 6;
  json.experiment.save.every_n_epochs = 1;
  return json;
}

/** The narrow widths of the tiny model (what a checkpoint's shapes would say). */
function narrow(config: PolicyConfig): PolicyConfig {
  const next = structuredClone(config);
  next.rgb.stem = 16;
  next.rgb.planes = [16, 16, 16, 16];
  next.combine = { hidden: [32, 32], out: 32 };
  return next;
}

export interface TinyRun {
  configPath: string;
  dataPath: string;
  initPath: string;
}

/** Writes config, data and init checkpoint into `dir`; returns their paths. */
export async function writeTinyRun(dir: string, options: { lengths?: number[]; masks?: Record<string, string[]>; images?: boolean } = {}): Promise<TinyRun> {
  const images = options.images ?? true;
  const json = tinyConfigJson(images);
  const configPath = join(dir, 'tiny.json');
  writeFileSync(configPath, JSON.stringify(json));
  const dataPath = join(dir, 'tiny.hdf5');
  await writeSyntheticLibero(dataPath, { lengths: options.lengths ?? [6], imageSize: 32, seed: 5, ...(options.masks ? { masks: options.masks } : {}) });
  const allShapes: [string, number[]][] = [
    ...(images ? [['agentview_rgb', [3, 32, 32]] as [string, number[]]] : []),
    ['ee_pos', [3]],
    ['gripper_states', [2]],
  ];
  const config = narrow(validatePolicyConfig(json, configPath, { acDim: 7, allShapes: new Map(allShapes) }).config);
  const schema = policySchema(config);
  const nets = createWeights(schema, initialValues(schema, createRng(11)), true);
  const state = await stateDictFromWeights(schema, nets);
  disposeWeights(nets);
  const initPath = join(dir, 'tiny-init.pth');
  const tree = checkpointTree({
    metadata: robomimicMetadata(config, JSON.stringify(json)),
    envMetadata: {},
    actionNormalization: new Map([['actions', { scale: new Float32Array(7).fill(1), offset: new Float32Array(7) }]]),
    nets: state,
    ema: state,
    optimizer: { config: { kind: 'adam', betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, baseLr: 1e-3, slots: [] },
    scheduler: null,
    epoch: 0,
    bestValidLoss: null,
    surgery: { step: 0, emaOptimizationStep: 0, rng: [1, 2, 3, 4], hints: [], stepsPerEpoch: 1 },
  });
  await writeCheckpoint(initPath, tree, { format: 'torch-zip' });
  return { configPath, dataPath, initPath };
}
