/**
 * Fresh weights for a run that starts from nothing (no `--init`), as PyTorch would build the
 * modules: torchvision's initialisation for ResNet trunks, `reset_parameters()` elsewhere.
 */
import type { ParamSpec, PolicySchema } from '../model/schema.ts';
import { initValues } from '../plan/init-values.ts';

/**
 * Returns PyTorch's default initial value for each parameter: torchvision's kaiming-normal
 * (fan_out) for ResNet trunk convolutions, `reset_parameters()` rules for everything else, and the
 * buffers' fixed values.
 */
export function defaultInitValues(schema: PolicySchema, seed: number): (param: ParamSpec) => Float32Array {
  const weightShapes = new Map(schema.entries.map(({ key, param }) => [key, param.shape]));
  return (param) => {
    if (param.bufferInit) return Float32Array.from(param.bufferInit);
    const key = param.keys[0]!;
    if (param.resnetConv) {
      const [out, , kh = 1, kw = 1] = param.shape;
      return Float32Array.from(initValues({ kind: 'normal', std: Math.sqrt(2 / (out! * kh * kw)) }, { key, shape: param.shape }, seed));
    }
    const sibling = key.endsWith('.bias') ? weightShapes.get(`${key.slice(0, -'.bias'.length)}.weight`) : undefined;
    return Float32Array.from(initValues({ kind: 'default' }, { key, shape: param.shape, ...(sibling ? { siblingWeightShape: sibling } : {}) }, seed));
  };
}

