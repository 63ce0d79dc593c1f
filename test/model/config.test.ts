/** validatePolicyConfig: defaults robomimic fills, obs-key order rules, and errors naming the JSON path. */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { InputError } from '../../src/input-error.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

const load = (name: string) => JSON.parse(readFileSync(`${REFERENCE_DIR}${name}`, 'utf8'));

function rejects(json: unknown, code: string, detail: RegExp, shapes = {}): void {
  try {
    validatePolicyConfig(json, 'c.json', shapes);
  } catch (error) {
    assert.instance(error, InputError);
    assert.is((error as InputError).code, code);
    assert.match((error as InputError).message, detail);
    return;
  }
  assert.unreachable('expected an InputError');
}

test('fork DROID config: fork code, DataParallel, droid_rlds key order, shared varied cameras, DDIM, 8 noise samples', () => {
  const { config } = validatePolicyConfig(load('fork_droid_tiny.config.json'), 'c.json');
  assert.is(config.code, 'fork');
  assert.ok(config.dataParallel);
  assert.equal(config.obsKeys.map((k) => k.key), ['robot_state/cartesian_position', 'robot_state/gripper_position', 'camera/image/varied_camera_1_left_image', 'camera/image/varied_camera_2_left_image']);
  assert.is(config.obsKeys[3]!.sharesCoreOf, 'camera/image/varied_camera_1_left_image');
  assert.is(config.obsKeys[2]!.sharesCoreOf, null);
  assert.is(config.scheduler.kind, 'ddim');
  assert.is(config.noiseSamples, 8);
  assert.equal(config.actionDims, [3, 6, 1]);
  assert.equal(config.rgb.randomizerOrder, ['color', 'crop']);
  assert.equal(config.rgb.color!.hue, [-0.3, 0.3]);
  assert.equal(config.combine, { hidden: [1024, 512], out: 512 });
});

test('upstream config: VisualCore defaults (SpatialSoftmax 32 kp, 64 features), sorted keys, DDPM, no combine', () => {
  const { config, warnings } = validatePolicyConfig(load('upstream_libero_tiny.config.json'), 'c.json', { acDim: 7 });
  assert.is(config.code, 'upstream');
  assert.not.ok(config.dataParallel);
  assert.is(config.combine, null);
  assert.equal(config.rgb.pool, { numKp: 32, temperature: 1, learnableTemperature: false, outputVariance: false, noiseStd: 0 });
  assert.is(config.rgb.featureDim, 64);
  assert.equal(config.obsKeys.map((k) => k.key), ['agentview_rgb', 'ee_ori', 'ee_pos', 'eye_in_hand_rgb', 'gripper_states']);
  assert.ok(config.obsKeys.every((k) => k.sharesCoreOf === null));
  assert.is(config.scheduler.kind, 'ddpm');
  assert.is(config.noiseSamples, 1);
  // Upstream configs record no image size (robomimic reads it from the dataset): the 128x128 guess is said, with the fix.
  assert.equal(warnings.map((w) => w.slice(0, 40)), ['observation.image_dim is not set, so "ag', 'algo.unet is {"stepEmbedDim":32,"downDim']);
  assert.match(warnings[0]!, '"agentview_rgb", "eye_in_hand_rgb" are taken as 3x128x128 (the dataset\'s size decides in robomimic); set observation.image_dim if yours differ.');
  const withShapes = validatePolicyConfig(load('upstream_libero_tiny.config.json'), 'c.json', { acDim: 7, allShapes: new Map(config.obsKeys.map((k) => [k.key, k.shape])) });
  assert.equal(withShapes.warnings.map((w) => w.slice(0, 10)), ['algo.unet '], 'no guess when the shapes are given');
});

test('shape_metadata fixes the encoder order and sizes', () => {
  const allShapes = new Map([['ee_pos', [3]], ['agentview_rgb', [3, 120, 120]], ['ee_ori', [3]], ['eye_in_hand_rgb', [3, 120, 120]], ['gripper_states', [2]]]);
  const { config } = validatePolicyConfig(load('fork_libero_tiny.config.json'), 'c.json', { allShapes });
  assert.equal(config.obsKeys.map((k) => k.key), [...allShapes.keys()]);
  assert.equal(config.obsKeys[1]!.shape, [3, 120, 120]);
});

test('errors name the JSON path and what to do', () => {
  const base = load('fork_droid_tiny.config.json');
  rejects({ ...base, algo_name: 'bc' }, 'config/invalid', /"algo_name" is "bc"/);
  rejects('{ nope', 'config/not-json', /not valid JSON/);
  const noAction = structuredClone(base);
  delete noAction.train.action_shapes;
  rejects(noAction, 'config/invalid', /"train.action_shapes" is missing.*--ac-dim/);
  const badBackbone = structuredClone(base);
  badBackbone.observation.encoder.rgb.core_kwargs.backbone_class = 'VGG';
  rejects(badBackbone, 'config/invalid', /"observation.encoder.rgb.core_kwargs.backbone_class" is "VGG"/);
  const unknownLowDim = structuredClone(base);
  unknownLowDim.observation.modalities.obs.low_dim.push('robot_state/mystery');
  rejects(unknownLowDim, 'config/invalid', /"robot_state\/mystery".*--obs-dim/);
  const { config } = validatePolicyConfig(unknownLowDim, 'c.json', { obsDims: new Map([['robot_state/mystery', 4]]) });
  assert.equal(config.obsKeys.find((k) => k.key === 'robot_state/mystery')!.shape, [4]);
  const noScheduler = structuredClone(base);
  noScheduler.algo.ddim.enabled = false;
  rejects(noScheduler, 'config/invalid', /both false/);
});

test.run();
