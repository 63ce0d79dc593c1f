/** Noise-schedule tables and timesteps against the real diffusers 0.11.1 values in the parity files. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validatePolicyConfig } from '../../src/model/config.ts';
import { ddpmVariance, inferenceTimesteps, noiseSchedule } from '../../src/model/scheduler.ts';
import { readFileSync } from 'node:fs';
import { Reference } from './reference.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

/** Max difference in float32 ulps of the reference value. */
function ulps(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  got.forEach((g, i) => {
    const w = want[i]!;
    const ulp = Math.max(Math.abs(w), 1e-30) * 2 ** -23;
    worst = Math.max(worst, Math.abs(g - w) / ulp);
  });
  return worst;
}

for (const [name, acDim] of [['fork_droid_tiny', undefined], ['upstream_libero_tiny', 7]] as const) {
  test(`${name}: betas, alphas, alphas_cumprod, timesteps${name.startsWith('up') ? ', fixed_small variance' : ''}`, async () => {
    const { config } = validatePolicyConfig(readFileSync(`${REFERENCE_DIR}${name}.config.json`, 'utf8'), name, { acDim });
    const s = noiseSchedule(config.scheduler);
    const ref = await Reference.open(`${name}.parity.pth`);
    assert.ok(ulps(s.betas, (await ref.tensor(['scheduler', 'betas'])).data) <= 1, 'betas');
    assert.ok(ulps(s.alphas, (await ref.tensor(['scheduler', 'alphas'])).data) <= 1, 'alphas');
    assert.ok(ulps(s.alphasCumprod, (await ref.tensor(['scheduler', 'alphas_cumprod'])).data) <= 1, 'alphas_cumprod');
    const timesteps = (await ref.tensor(['eval', 'ema', 'sampling', 'timesteps'])).data;
    assert.equal(inferenceTimesteps(config.scheduler), Array.from(timesteps));
    if (config.scheduler.kind === 'ddpm') {
      const v = Float32Array.from({ length: 100 }, (_, t) => ddpmVariance(s, t));
      assert.ok(ulps(v, (await ref.tensor(['scheduler', 'variance_fixed_small(t)'])).data) <= 2, 'variance');
    }
  });
}

test.run();
