/**
 * The host ColorRandomizer: the batch layout (rows `row·S + sample`, each draw's ops in its order),
 * and the branches of torchvision's HSV round trip that the fixture's two patches may not reach
 * (grey pixels, channel ties, sector boundaries), whose results follow from the formulas exactly.
 * Each op alone is checked against torchvision in randomizers.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adjustImage, BRIGHTNESS, CONTRAST, HUE, jitterImages, SATURATION, type ColorDraw, type HostImages } from '../../src/model/color-jitter.ts';

const ROWS = 6;
const SAMPLES = 2;
const [H, W] = [12, 10];

/** Seeded 8-bit images (as robomimic's are), with grey pixels and channel ties, where hue branches. */
function images(): HostImages {
  let seed = 12345;
  const byte = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const data = new Float32Array(ROWS * H * W * 3);
  for (let p = 0; p < ROWS * H * W; p++) {
    const [r, g, b] = [byte(), byte(), byte()];
    const kind = p % 7;
    const rgb = kind === 0 ? [r, r, r] : kind === 1 ? [r, r, g] : kind === 2 ? [g, r, r] : kind === 3 ? [255, 0, b] : [r, g, b];
    rgb.forEach((v, c) => (data[p * 3 + c] = v / 255));
  }
  return { shape: [ROWS, H, W, 3], data };
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

test(`a batch of ${ROWS} rows × ${SAMPLES} samples: row·S + sample is that row with that draw's ops in its order`, () => {
  const x = images();
  const all = draws();
  const got = jitterImages(x, all);
  assert.equal(got.shape, [ROWS * SAMPLES, H, W, 3]);
  const size = H * W * 3;
  all.forEach((perRow, row) =>
    perRow.forEach((draw, sample) => {
      const want = x.data.slice(row * size, (row + 1) * size);
      for (const op of draw.order) adjustImage(want, op, [draw.brightness, draw.contrast, draw.saturation, draw.hue][op]!);
      assert.equal(Array.from(got.data.subarray((row * SAMPLES + sample) * size, (row * SAMPLES + sample + 1) * size)), Array.from(want), `row ${row}, sample ${sample}`);
    }),
  );
  // The order matters: the same factors in another order give another image.
  const reordered = jitterImages(x, all.map((perRow) => perRow.map((d) => ({ ...d, order: [...d.order].reverse() }))));
  assert.not.equal(Array.from(reordered.data), Array.from(got.data));
});

const pixel = (...rgb: number[]): Float32Array => Float32Array.from(rgb);

test('hue: grey pixels keep their value for any shift, and a third of a turn cycles the primaries', () => {
  for (const shift of [-0.5, -0.27, 0, 0.1, 0.3, 0.5]) {
    const grey = pixel(0.4, 0.4, 0.4);
    adjustImage(grey, HUE, shift);
    assert.equal(Array.from(grey), Array.from(pixel(0.4, 0.4, 0.4)), `shift ${shift}`);
  }
  const cycle: [number[], number[]][] = [
    [[1, 0, 0], [0, 1, 0]],
    [[0, 1, 0], [0, 0, 1]],
    [[0, 0, 1], [1, 0, 0]],
  ];
  for (const [from, to] of cycle) {
    const p = pixel(...from);
    adjustImage(p, HUE, 1 / 3);
    // Red's hue is 0, so its shift is exact; green's (1/3) and blue's (2/3) are rounded to float32 on the way.
    p.forEach((v, c) => assert.ok(Math.abs(v - to[c]!) <= (from[0] === 1 ? 0 : 1e-6), `${from} → ${Array.from(p)}, not ${to}`));
  }
  // Shift 0 is a round trip through HSV: every pixel of the seeded images (greys, channel ties, a
  // zero channel) comes back within float32 rounding, whichever branch and sector it takes.
  const x = images();
  const back = x.data.slice();
  adjustImage(back, HUE, 0);
  const worst = back.reduce((m, v, i) => Math.max(m, Math.abs(v - x.data[i]!)), 0);
  assert.ok(worst <= 2e-6, `round trip off by ${worst}`);
});

test('blends: saturation 0 is the grey image, contrast 0 the mean grey, brightness clamps to [0, 1]', () => {
  const image = pixel(0.2, 0.6, 1, 0.8, 0.4, 0);
  const grey = (r: number, g: number, b: number) => Math.fround(Math.fround(Math.fround(Math.fround(0.2989) * r) + Math.fround(Math.fround(0.587) * g)) + Math.fround(Math.fround(0.114) * b));
  const [g0, g1] = [grey(image[0]!, image[1]!, image[2]!), grey(image[3]!, image[4]!, image[5]!)];
  const saturated = image.slice();
  adjustImage(saturated, SATURATION, 0);
  assert.equal(Array.from(saturated), [g0, g0, g0, g1, g1, g1]);
  const contrasted = image.slice();
  adjustImage(contrasted, CONTRAST, 0);
  const mean = Math.fround((g0 + g1) / 2);
  assert.equal(Array.from(contrasted), new Array(6).fill(mean));
  const bright = image.slice();
  adjustImage(bright, BRIGHTNESS, 2);
  assert.equal(Array.from(bright), [0.4, 1, 1, 1, 0.8, 0].map(Math.fround));
});

test('the draws must cover every row with the same number of samples', () => {
  const x = images();
  assert.throws(() => jitterImages(x, draws().slice(1)), /one list of S ≥ 1 per image row/);
});

test.run();
