/**
 * Fresh values for reinitialised, assembled and filled tensors: the init kinds of the remap language,
 * seeded per key so a run is reproducible and independent of rule order.
 */
import { fanIn, fanOut } from '../random/fan-in.ts';
import { rngFromLabel, type Rng } from '../random/rng.ts';
import { numelOf } from '../checkpoint/py-value.ts';
import { invariant } from '../invariant.ts';

/** An init kind as the planner uses it (the remap AST's init, normalised). */
export type InitSpec =
  | { kind: 'default' | 'zeros' | 'ones' | 'kaiming' | 'xavier' | 'target' }
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; low: number; high: number };

/** What `default` needs to guess the PyTorch module a key belongs to. */
export interface InitContext {
  key: string;
  shape: number[];
  /** Shape of the `weight` next to a `bias` key, when the state dict has one. */
  siblingWeightShape?: number[];
}

/** The seed used when the user gives none; fixed so two runs write identical files. */
export const DEFAULT_SEED = 0;

/**
 * Returns `numelOf(shape)` fresh values for `init` (not `target`, which the caller takes from the
 * target checkpoint), drawn from a stream seeded by `seed` and the key.
 */
export function initValues(init: InitSpec, context: InitContext, seed: number): Float64Array {
  const out = new Float64Array(numelOf(context.shape));
  const rng = rngFromLabel(`${seed}\0${context.key}`);
  const random = rng.uniform;
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'normal':
      return fillNormal(out, init.std, rng);
    case 'uniform':
      return fillUniform(out, init.low, init.high, random);
    case 'kaiming': {
      // kaiming_uniform_(a=√5), what Linear/Conv use for weights: gain √(2/(1+5)) × √(3/fan_in) = 1/√fan_in.
      const bound = 1 / Math.sqrt(fanIn(context.shape));
      return fillUniform(out, -bound, bound, random);
    }
    case 'xavier': {
      const bound = Math.sqrt(6 / (fanIn(context.shape) + fanOut(context.shape)));
      return fillUniform(out, -bound, bound, random);
    }
    case 'default':
      return fillDefault(out, context, random);
    case 'target':
      invariant(false, 'init "target" has no generated values.');
  }
}

/** Returns a short description of what `default` does for this key, for reports. */
export function describeDefaultInit(context: InitContext): string {
  const rule = defaultRule(context);
  return rule.kind === 'uniform' ? `uniform(±${trim(rule.bound)})` : rule.kind;
}

type DefaultRule = { kind: 'zeros' | 'ones' } | { kind: 'uniform'; bound: number };

// What PyTorch's own modules do in reset_parameters(), inferred from the shape:
// Linear/Conv weight: kaiming_uniform(a=√5) = U(±1/√fan_in); their bias: U(±1/√fan_in of the weight);
// norm weight 1, norm bias 0; running_var 1; other buffers 0.
function defaultRule({ key, shape, siblingWeightShape }: InitContext): DefaultRule {
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  if (leaf === 'running_var') return { kind: 'ones' };
  if (leaf === 'running_mean' || leaf === 'num_batches_tracked') return { kind: 'zeros' };
  if (shape.length >= 2) return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn(shape)) };
  if (leaf === 'bias' && siblingWeightShape && siblingWeightShape.length >= 2) {
    return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn(siblingWeightShape)) };
  }
  if (leaf === 'weight' && shape.length === 1) return { kind: 'ones' };
  return { kind: 'zeros' };
}

function fillDefault(out: Float64Array, context: InitContext, random: () => number): Float64Array {
  const rule = defaultRule(context);
  if (rule.kind !== 'uniform') return rule.kind === 'ones' ? out.fill(1) : out;
  return fillUniform(out, -rule.bound, rule.bound, random);
}


function fillUniform(out: Float64Array, low: number, high: number, random: () => number): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * random();
  return out;
}

function fillNormal(out: Float64Array, std: number, rng: Rng): Float64Array {
  const z = rng.normal(out.length);
  for (let i = 0; i < out.length; i++) out[i] = std * z[i]!;
  return out;
}


function trim(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
