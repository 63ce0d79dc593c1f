/**
 * Train-mode randomizers against the fork fixture (`randomizers_train_mode`): torchvision 0.14's four
 * colour ops alone, the full ColorRandomizer with recorded factors and order, and random crops at
 * recorded offsets.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, applyColorJitter, drawColor, type ColorDraw } from '../../src/model/color-jitter.ts';
import { cropAt } from '../../src/model/encoder.ts';
import { assertClose, Reference, type RefTensor } from './reference.ts';

const base = ['randomizers_train_mode'];
let ref: Reference;
let input: tf.Tensor4D;

test.before(async () => {
  await selectBackend('wasm');
  ref = await Reference.open('fork_droid_tiny.parity.pth');
  input = tf.transpose(await ref.tf([...base, 'color_input']), [0, 2, 3, 1]) as tf.Tensor4D;
});
test.after(() => input.dispose());

const chw = (t: tf.Tensor): tf.Tensor => tf.transpose(t, [0, 3, 1, 2]);
const COLOR_TOL = 2e-6;

test('each torchvision colour op alone', async () => {
  const ops: [string, (x: tf.Tensor4D) => tf.Tensor4D][] = [
    ['brightness_1.2', (x) => adjustBrightness(x, 1.2)],
    ['contrast_0.8', (x) => adjustContrast(x, 0.8)],
    ['saturation_1.25', (x) => adjustSaturation(x, 1.25)],
    ['hue_0.1', (x) => adjustHue(x, 0.1)],
    ['hue_-0.27', (x) => adjustHue(x, -0.27)],
  ];
  for (const [name, op] of ops) {
    const got = tf.tidy(() => chw(op(input)));
    await assertClose(got, await ref.tensor([...base, 'color_single_ops', name]), COLOR_TOL, name);
    got.dispose();
  }
});

test('ColorRandomizer with the recorded factors and application order', async () => {
  const factors = (await ref.tensor([...base, 'color_factors'])).data;
  const order = (await ref.tensor([...base, 'color_order'])).data;
  const draws: ColorDraw[][] = [0, 1].map((b) => [
    { brightness: factors[b * 4]!, contrast: factors[b * 4 + 1]!, saturation: factors[b * 4 + 2]!, hue: factors[b * 4 + 3]!, order: Array.from(order.slice(b * 4, b * 4 + 4)) },
  ]);
  const got = tf.tidy(() => chw(applyColorJitter(input, draws)));
  await assertClose(got, await ref.tensor([...base, 'color_output']), COLOR_TOL, 'color_output');
  got.dispose();
});

test('drawColor draws factors inside the configured ranges and a permutation of the four ops', () => {
  let u = 0;
  const draw = drawColor({ brightness: [0.7, 1.3], contrast: [0.7, 1.3], saturation: [0.7, 1.3], hue: [-0.3, 0.3], numSamples: 1 }, () => (u = (u + 0.37) % 1));
  for (const f of [draw.brightness, draw.contrast, draw.saturation]) assert.ok(f >= 0.7 && f <= 1.3);
  assert.ok(draw.hue >= -0.3 && draw.hue <= 0.3);
  assert.equal([...draw.order].sort(), [0, 1, 2, 3]);
});

test('CropRandomizer in train mode crops at the recorded top-left offsets', async () => {
  const crop = await ref.tensor([...base, 'crop_hw']);
  const want: RefTensor = await ref.tensor([...base, 'crop_output_first_rows']);
  const raw = await ref.tensor(['eval', 'obs_raw', 'camera/image/varied_camera_1_left_image']);
  // The fixture's input: frame t = 0 of each sample, uint8 HWC / 255.
  const got = tf.tidy(() => {
    const frames = tf.div(tf.squeeze(tf.slice(tf.tensor(raw.data, raw.shape), [0, 0, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]), 255) as tf.Tensor4D;
    const crops = cropAt(frames, [[[crop.data[0]!, crop.data[1]!]], [[crop.data[2]!, crop.data[3]!]]], 116, 116);
    return tf.slice(chw(crops), [0, 0, 0, 0], [-1, -1, 4, -1]);
  });
  await assertClose(got, want, 1e-7, 'crop rows');
  got.dispose();
});

test.run();
