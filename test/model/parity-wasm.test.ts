/**
 * The policy against the real robomimic fixtures on the wasm backend: encoder layers, features,
 * global_cond, UNet layers and output (EMA and training weights), full DDIM/DDPM trajectories,
 * and one training step's loss and gradients, for all three tiny checkpoints.
 */
import { suite } from 'uvu';
import { selectBackend } from '../../src/model/backend.ts';
import { TINY } from './reference.ts';
import { checkEncoder, checkSampling, checkTrainStep, checkUnet, disposeFixture, loadFixture, type Fixture, type GradTolerance } from './parity-support.ts';

/**
 * XNNPACK rounds identical image patches differently by position, so windows of the ResNet stem's
 * max-pool that PyTorch sees as exact ties (flat regions of the synthetic images) arrive as
 * near-ties and send a few gradients to another pixel. That moves some stem-conv gradient elements
 * by up to ~6e-4 of the largest one and the summed squared norm by ~8e-5; every other gradient,
 * the loss and the forward passes stay within the README's 1e-5. The cpu backend has no such
 * effect and is checked strictly (parity-cpu.test.ts).
 */
const WASM_GRADS: GradTolerance = { element: 1e-3, normsSum: 2e-4 };

for (const name of TINY) {
  const test = suite<{ f?: Fixture }>(`parity wasm ${name}`, {});
  test.before(async (ctx) => {
    await selectBackend('wasm');
    ctx.f = await loadFixture(name);
  });
  test.after((ctx) => disposeFixture(ctx.f!));
  test('encoder layers, obs_features and global_cond (EMA), obs_features (nets)', (ctx) => checkEncoder(ctx.f!, true));
  test('UNet layers and noise_pred (EMA), noise_pred (nets)', (ctx) => checkUnet(ctx.f!, true));
  test('sampling trajectory with the recorded draws, step by step', (ctx) => checkSampling(ctx.f!));
  test('training step: loss, summed grad norms, recorded gradients, no leak', (ctx) => checkTrainStep(ctx.f!, WASM_GRADS));
  test.run();
}
