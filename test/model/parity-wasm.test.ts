/**
 * The policy against the real robomimic fixtures on the wasm backend: encoder layers, features,
 * global_cond, UNet layers and output (EMA and training weights), full DDIM/DDPM trajectories,
 * and one training step's loss and gradients, for all three tiny checkpoints.
 */
import { suite } from 'uvu';
import { selectBackend } from '../../src/model/backend.ts';
import { TINY } from './reference.ts';
import { checkEncoder, checkSampling, checkTrainStep, checkUnet, disposeFixture, loadFixture, NEAR_TIE_GRADS, type Fixture } from './parity-support.ts';

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
  test('training step: loss, summed grad norms, recorded gradients, no leak', (ctx) => checkTrainStep(ctx.f!, NEAR_TIE_GRADS));
  test.run();
}
