/**
 * Fresh weights as PyTorch would make them when robomimic builds the policy (pretrained=False):
 * torchvision's ResNet init for the trunk convolutions (kaiming_normal, fan_out, ReLU gain), torch's
 * layer defaults everywhere else (kaiming_uniform(a=√5) weights and U(±1/√fan_in) biases for
 * Linear/Conv1d/ConvTranspose1d/Conv2d), GroupNorm 1/0, and the SpatialSoftmax buffers.
 * The draws come from our seeded generator, so values differ from torch's but follow the same laws.
 */
import { fanIn, fanOut } from '../random/fan-in.ts';
import type { Rng } from '../random/rng.ts';
import type { ParamSpec, PolicySchema } from './schema.ts';
import { numelOf } from '../checkpoint/py-value.ts';


/**
 * Returns a function giving each parameter's initial values (PyTorch layout), drawing from `rng`
 * in schema order so a seed always gives the same checkpoint.
 */
export function initialValues(schema: PolicySchema, rng: Rng): (param: ParamSpec) => Float32Array {
  const values = schema.params.map((param) => initialValue(schema, param, rng));
  return (param) => values[param.id]!;
}

function initialValue(schema: PolicySchema, param: ParamSpec, rng: Rng): Float32Array {
  const n = numelOf(param.shape);
  switch (param.kind) {
    case 'norm-weight':
      return param.bufferInit ? Float32Array.from(param.bufferInit) : new Float32Array(n).fill(1);
    case 'norm-bias':
      return new Float32Array(n);
    case 'buffer':
      return Float32Array.from(param.bufferInit ?? new Array<number>(n).fill(0));
    case 'bias': {
      const weight = schema.byKey.get(param.keys[0]!.replace(/bias$/, 'weight'));
      return uniform(n, 1 / Math.sqrt(fanIn(weight ? weight.shape : [n, 1])), rng);
    }
    default:
      if (param.resnetConv) {
        // torchvision ResNet.__init__: kaiming_normal_(mode="fan_out", nonlinearity="relu").
        const std = Math.sqrt(2 / fanOut(param.shape));
        return rng.normal(n).map((z) => z * std);
      }
      // kaiming_uniform_(a=√5): gain √(2/(1+5)), bound = gain·√3/√fan_in = 1/√fan_in.
      return uniform(n, 1 / Math.sqrt(fanIn(param.shape)), rng);
  }
}

function uniform(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.uniform() * 2 - 1) * bound;
  return out;
}
