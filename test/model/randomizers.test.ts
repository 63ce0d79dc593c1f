/**
 * Train-mode randomizers against the fork fixture (`randomizers_train_mode`): torchvision 0.14's four
 * colour ops alone, the full ColorRandomizer with recorded factors and order, and random crops at
 * recorded offsets. They run on the host, so no backend is involved.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adjustImage, BRIGHTNESS, CONTRAST, drawColor, HUE, jitterImages, SATURATION, type ColorDraw, type HostImages } from '../../src/model/color-jitter.ts';
import { cropImages } from '../../src/model/randomize-images.ts';
import { assertClose, Reference, type RefTensor } from './reference.ts';

const base = ['randomizers_train_mode'];
let ref: Reference;
let input: HostImages;

/** NCHW → NHWC. */
function channelsLast({ shape: [n, c, h, w], data }: RefTensor): HostImages {
  const out = new Float32Array(data.length);
  for (let i = 0; i < n!; i++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let k = 0; k < c!; k++) out[((i * h! + y) * w! + x) * c! + k] = data[((i * c! + k) * h! + y) * w! + x]!;
  return { shape: [n!, h!, w!, c!], data: out };
}

test.before(async () => {
  ref = await Reference.open('fork_droid_tiny.parity.pth');
  input = channelsLast(await ref.tensor([...base, 'color_input']));
});

// Every op is torch's float32 arithmetic step by step, so the results are bit-identical, except
// that torch sums the contrast's mean grey in float32 blocks and we in double: the means differ in
// the last bits.
const CONTRAST_TOL = 3e-7;
// The fixture's factors are stored as float32; robomimic drew them as Python floats.
const RANDOMIZER_TOL = 1e-6;

test('each torchvision colour op alone: bit-identical but for the contrast mean', async () => {
  const ops: [string, number, number][] = [
    ['brightness_1.2', BRIGHTNESS, 1.2],
    ['contrast_0.8', CONTRAST, 0.8],
    ['saturation_1.25', SATURATION, 1.25],
    ['hue_0.1', HUE, 0.1],
    ['hue_-0.27', HUE, -0.27],
  ];
  const [n, h, w] = input.shape;
  for (const [name, op, factor] of ops) {
    const got = input.data.slice();
    for (let i = 0; i < n; i++) adjustImage(got.subarray(i * h * w * 3, (i + 1) * h * w * 3), op, factor);
    await assertClose(got, channelsLast(await ref.tensor([...base, 'color_single_ops', name])), op === CONTRAST ? CONTRAST_TOL : 0, name);
  }
});

test('ColorRandomizer with the recorded factors and application order', async () => {
  const factors = (await ref.tensor([...base, 'color_factors'])).data;
  const order = (await ref.tensor([...base, 'color_order'])).data;
  const draws: ColorDraw[][] = [0, 1].map((b) => [
    { brightness: factors[b * 4]!, contrast: factors[b * 4 + 1]!, saturation: factors[b * 4 + 2]!, hue: factors[b * 4 + 3]!, order: Array.from(order.slice(b * 4, b * 4 + 4)) },
  ]);
  await assertClose(jitterImages(input, draws).data, channelsLast(await ref.tensor([...base, 'color_output'])), RANDOMIZER_TOL, 'color_output');
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
  const want = await ref.tensor([...base, 'crop_output_first_rows']);
  const raw = await ref.tensor(['eval', 'obs_raw', 'camera/image/varied_camera_1_left_image']);
  // The fixture's input: frame t = 0 of each sample, uint8 HWC / 255.
  const [b, to, H, W, c] = raw.shape as [number, number, number, number, number];
  const frame = H * W * c;
  const frames = new Float32Array(b * frame);
  for (let i = 0; i < b; i++) for (let k = 0; k < frame; k++) frames[i * frame + k] = raw.data[i * to * frame + k]! / 255;
  const crops = cropImages({ shape: [b, H, W, c], data: frames }, [[[crop.data[0]!, crop.data[1]!]], [[crop.data[2]!, crop.data[3]!]]], 116, 116);
  assert.equal(crops.shape, [2, 116, 116, 3]);
  // The fixture keeps the first 4 rows of each CHW crop.
  const rows = want.shape[2]!;
  const got = new Float32Array(want.data.length);
  for (let i = 0; i < 2; i++) for (let k = 0; k < 3; k++) for (let y = 0; y < rows; y++) for (let x = 0; x < 116; x++) got[((i * 3 + k) * rows + y) * 116 + x] = crops.data[((i * 116 + y) * 116 + x) * 3 + k]!;
  await assertClose(got, want, 0, 'crop rows');
});

test.run();
