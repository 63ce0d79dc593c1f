/**
 * The same parity checks on the pure-JS cpu backend (slower, so one fixture and no sampling loop,
 * whose scheduler arithmetic is backend-independent): the numbers must agree with robomimic there
 * too, gradients strictly.
 */
import { suite } from 'uvu';
import { selectBackend } from '../../src/model/backend.ts';
import { checkEncoder, checkTrainStep, checkUnet, disposeFixture, loadFixture, type Fixture } from './parity-support.ts';

const test = suite<{ f?: Fixture }>('parity cpu fork_droid_tiny', {});
test.before(async (ctx) => {
  await selectBackend('cpu');
  ctx.f = await loadFixture('fork_droid_tiny');
});
test.after(async (ctx) => {
  disposeFixture(ctx.f!);
  await selectBackend('wasm');
});
test('obs_features and global_cond (EMA and nets)', (ctx) => checkEncoder(ctx.f!, false));
test('UNet noise_pred (EMA and nets)', (ctx) => checkUnet(ctx.f!, false));
test('training step loss and gradients', (ctx) => checkTrainStep(ctx.f!));
test.run();
