/** A seeded synthetic training batch for tests and benchmarks that need no dataset (memory, speed). */
import { numelOf } from '../../src/checkpoint/py-value.ts';
import type { Batch } from '../../src/data/read-batch.ts';
import type { PolicyConfig } from '../../src/model/config.ts';
import { createRng } from '../../src/random/rng.ts';

/** Returns uniform images and low-dim values and actions in [−1, 1], shaped as the data reader returns them. */
export function syntheticBatch(config: PolicyConfig, batchSize: number): Batch {
  const rng = createRng(1);
  const [To, Tp] = [config.horizon.observation, config.horizon.prediction];
  const obs: Batch['obs'] = {};
  for (const k of config.obsKeys) {
    const shape = k.modality === 'rgb' ? [batchSize, To, k.shape[1]!, k.shape[2]!, k.shape[0]!] : [batchSize, To, ...k.shape];
    obs[k.key] = { shape, data: Float32Array.from({ length: numelOf(shape) }, () => rng.uniform()) };
  }
  const actions = { shape: [batchSize, Tp, config.acDim], data: Float32Array.from({ length: batchSize * Tp * config.acDim }, () => rng.uniform() * 2 - 1) };
  return { obs, actions, refs: [] };
}
