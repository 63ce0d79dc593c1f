/**
 * A built diffusion policy: its resolved config, state-dict schema, noise schedule and the two
 * weight sets robomimic keeps apart — `nets` (trained) and `ema` (used for inference).
 */
import type { PolicyConfig } from './config.ts';
import { policySchema, type PolicySchema } from './schema.ts';
import { noiseSchedule, type NoiseSchedule } from './scheduler.ts';
import { disposeWeights, type PolicyWeights } from './weights.ts';

export interface Policy {
  config: PolicyConfig;
  schema: PolicySchema;
  schedule: NoiseSchedule;
  /** `model.nets`: trainable variables. */
  nets: PolicyWeights;
  /** `model.ema`: non-trainable; null when `algo.ema.enabled` is false. */
  ema: PolicyWeights | null;
}

/**
 * Returns a policy from a config and weight sets made with `createWeights`/`weightsFromStateDict`
 * against `policySchema(config)`.
 */
export function buildPolicy(config: PolicyConfig, nets: PolicyWeights, ema: PolicyWeights | null): Policy {
  return { config, schema: policySchema(config), schedule: noiseSchedule(config.scheduler), nets, ema };
}

/** Returns the weights robomimic samples with: EMA when present, else the trained nets. */
export function inferenceWeights(policy: Policy): PolicyWeights {
  return policy.ema ?? policy.nets;
}

/** Frees both weight sets. */
export function disposePolicy(policy: Policy): void {
  disposeWeights(policy.nets);
  if (policy.ema) disposeWeights(policy.ema);
}
