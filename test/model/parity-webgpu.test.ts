/**
 * The policy against the real robomimic fixtures on the webgpu backend (Dawn; lavapipe in CI):
 * encoder layers, features, global_cond, UNet layers and output (EMA and training weights) for
 * all three tiny checkpoints, full DDIM and DDPM trajectories, and one training step's loss and
 * gradients, at wasm's tolerances (its convolutions also accumulate in float32: see NEAR_TIE_GRADS).
 */
import { suite, test as plainTest } from 'uvu';
import { selectBackend } from '../../src/model/backend.ts';
import { hasWebGpu } from '../support/webgpu.ts';
import { TINY } from './reference.ts';
import { checkEncoder, checkSampling, checkTrainStep, checkUnet, disposeFixture, loadFixture, NEAR_TIE_GRADS, type Fixture } from './parity-support.ts';

if (hasWebGpu) {
  for (const name of TINY) {
    const test = suite<{ f?: Fixture }>(`parity webgpu ${name}`, {});
    test.before(async (ctx) => {
      await selectBackend('webgpu');
      ctx.f = await loadFixture(name);
    });
    test.after(async (ctx) => {
      disposeFixture(ctx.f!);
      await selectBackend('wasm');
    });
    test('encoder layers, obs_features and global_cond (EMA), obs_features (nets)', (ctx) => checkEncoder(ctx.f!, true));
    test('UNet layers and noise_pred (EMA), noise_pred (nets)', (ctx) => checkUnet(ctx.f!, true));
    // A subset of the slow checks keeps this file near a minute on lavapipe (all twelve take ~2):
    // the fork's DDIM on fork_droid_tiny, upstream's DDPM, and the training step on the
    // two-camera fork_libero_tiny (the other two steps take ~20 s each and use the same kernels).
    if (name !== 'fork_libero_tiny') test('sampling trajectory with the recorded draws, step by step', (ctx) => checkSampling(ctx.f!));
    if (name === 'fork_libero_tiny') test('training step: loss, summed grad norms, recorded gradients, no leak', (ctx) => checkTrainStep(ctx.f!, NEAR_TIE_GRADS));
    test.run();
  }
} else {
  plainTest.skip('parity on webgpu (no WebGPU adapter)', () => {});
  plainTest.run();
}
