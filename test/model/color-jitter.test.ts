/**
 * The batched ColorRandomizer against the single torchvision ops (each checked against torchvision
 * in randomizers.test.ts) applied image by image in that image's order: the batching, grouping and
 * row order must change no bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectBackend } from '../../src/model/backend.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, applyColorJitter, type ColorDraw } from '../../src/model/color-jitter.ts';

const ROWS = 6;
const SAMPLES = 2;
const [H, W] = [12, 10];

/** Seeded 8-bit images (as robomimic's are), with grey pixels and channel ties, where hue branches. */
function images(): tf.Tensor4D {
  let seed = 12345;
  const byte = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const data = new Float32Array(ROWS * H * W * 3);
  for (let p = 0; p < ROWS * H * W; p++) {
    const [r, g, b] = [byte(), byte(), byte()];
    const kind = p % 7;
    const rgb = kind === 0 ? [r, r, r] : kind === 1 ? [r, r, g] : kind === 2 ? [g, r, r] : kind === 3 ? [255, 0, b] : [r, g, b];
    rgb.forEach((v, c) => (data[p * 3 + c] = v / 255));
  }
  return tf.tensor4d(data, [ROWS, H, W, 3]);
}

/** Twelve draws with distinct orders; every op comes first in some draw. */
function draws(): ColorDraw[][] {
  const orders = [
    [0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2], [3, 2, 1, 0], [0, 3, 2, 1],
    [1, 0, 3, 2], [2, 0, 3, 1], [3, 1, 0, 2], [0, 2, 1, 3], [1, 3, 0, 2], [2, 1, 0, 3],
  ];
  return Array.from({ length: ROWS }, (_, row) =>
    Array.from({ length: SAMPLES }, (_, sample) => {
      const k = row * SAMPLES + sample;
      return { brightness: 0.7 + 0.05 * k, contrast: 1.3 - 0.05 * k, saturation: 0.75 + 0.04 * k, hue: -0.3 + 0.05 * k, order: orders[k]! };
    }),
  );
}

function oneByOne(x: tf.Tensor4D, all: ColorDraw[][]): tf.Tensor4D {
  return tf.tidy(() =>
    tf.concat(
      all.flatMap((perRow, row) =>
        perRow.map((draw) => {
          let y = tf.slice(x, [row, 0, 0, 0], [1, -1, -1, -1]);
          for (const op of draw.order) {
            if (op === 0) y = adjustBrightness(y, draw.brightness);
            else if (op === 1) y = adjustContrast(y, draw.contrast);
            else if (op === 2) y = adjustSaturation(y, draw.saturation);
            else y = adjustHue(y, draw.hue);
          }
          return y;
        }),
      ),
    ),
  );
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: a batch of ${ROWS} rows × ${SAMPLES} samples equals the single ops applied image by image`, async () => {
    await selectBackend(backend);
    const x = images();
    const all = draws();
    const got = applyColorJitter(x, all);
    const want = oneByOne(x, all);
    assert.equal(got.shape, [ROWS * SAMPLES, H, W, 3]);
    const [g, w] = [got.dataSync(), want.dataSync()];
    let differing = 0;
    for (let i = 0; i < g.length; i++) if (g[i] !== w[i]) differing++;
    assert.is(differing, 0, `${differing} of ${g.length} values differ`);
    tf.dispose([x, got, want]);
  });
}

test('the jitter leaks no tensor and passes a zero gradient back to the images', async () => {
  await selectBackend('wasm');
  const x = images();
  const all = draws();
  const before = tf.memory().numTensors;
  const dy = tf.ones([ROWS * SAMPLES, H, W, 3]);
  const largestGrad = tf.tidy(() => tf.max(tf.abs(tf.grad((input: tf.Tensor) => applyColorJitter(input as tf.Tensor4D, all))(x, dy))).dataSync()[0]);
  dy.dispose();
  assert.is(largestGrad, 0);
  tf.dispose(applyColorJitter(x, all));
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

test.run();
