/**
 * Makes the tensor of one plan row: the source tensor itself for plain loads (so the writer streams
 * its bytes untouched), or a new in-memory tensor for reinit, assembled, filled and cast rows.
 */
import type { DType, Tensor } from '../checkpoint/types.ts';
import { readTensorAsFloat32 } from '../checkpoint/read-tensor.ts';
import { tensorFromArray } from '../checkpoint/tensor-from-array.ts';
import { invariant } from '../invariant.ts';
import type { StateDictSchema } from './model-schema.ts';
import type { Box, PlanRow } from './plan-types.ts';
import { initValues, type InitSpec } from './init-values.ts';

export interface RowSources {
  source: StateDictSchema;
  target: StateDictSchema | null;
  seed: number;
  /** Tensors already made for a source view (cast) or a target storage (fresh init), so aliases stay aliased. */
  made: Map<unknown, Tensor>;
}

/** Returns the output tensor of `row`, or null when the row writes nothing (dropped, unexpected, missing). */
export async function materializeRow(row: PlanRow, sources: RowSources): Promise<Tensor | null> {
  switch (row.status) {
    case 'loaded':
    case 'renamed':
      return row.cast ? castTensor(sourceTensor(row.sourceKey!, sources), row.cast, sources) : sourceTensor(row.sourceKey!, sources);
    case 'reinit':
    case 'filled':
      return freshTensor(row, row.init!, sources);
    case 'assembled':
      return assemble(row, sources);
    default:
      return null;
  }
}

function sourceTensor(key: string, sources: RowSources): Tensor {
  const tensor = sources.source.keys.get(key)?.tensor;
  invariant(tensor, `source tensor "${key}" has no data`);
  return tensor;
}

async function castTensor(tensor: Tensor, dtype: DType, sources: RowSources): Promise<Tensor> {
  const id = `${tensor.storage.key}\0${tensor.storageOffset}\0${tensor.shape}\0${tensor.stride}\0${dtype}`;
  const cached = sources.made.get(id);
  if (cached) return cached;
  const made = tensorFromArray(await readTensorAsFloat32(tensor), tensor.shape, dtype);
  sources.made.set(id, made);
  return made;
}

/** Fresh values; a target storage shared by several keys gets one fresh tensor, so aliasing survives. */
async function freshTensor(row: PlanRow, init: InitSpec, sources: RowSources): Promise<Tensor> {
  const targetTensor = sources.target?.keys.get(row.key)?.tensor;
  if (init.kind === 'target') {
    invariant(targetTensor, `init "target" for "${row.key}" without a target checkpoint`);
    return targetTensor;
  }
  const aliasId = targetTensor ? targetTensor.storage : null;
  const cached = aliasId && sources.made.get(aliasId);
  if (cached && sameView(cached, targetTensor!)) return cached;
  const made = tensorFromArray(await baseValues(row, init, sources), row.targetShape!, row.targetDType!);
  if (aliasId) sources.made.set(aliasId, made);
  return made;
}

function sameView(a: Tensor, b: Tensor): boolean {
  return a.shape.join() === b.shape.join();
}

async function baseValues(row: PlanRow, init: InitSpec, sources: RowSources): Promise<Float64Array> {
  const shape = row.targetShape ?? row.sourceShape!;
  if (init.kind === 'target') {
    const tensor = sources.target?.keys.get(row.key)?.tensor;
    invariant(tensor, `init "target" for "${row.key}" without a target checkpoint`);
    return Float64Array.from(await readTensorAsFloat32(tensor));
  }
  const siblingWeightShape = row.key.endsWith('.bias') ? (sources.target ?? sources.source).keys.get(`${row.key.slice(0, -'bias'.length)}weight`)?.shape : undefined;
  return initValues(init, { key: row.key, shape, ...(siblingWeightShape ? { siblingWeightShape } : {}) }, sources.seed);
}

/** Returns the assembled tensor: the rest initialised, then each block copied from its source tensor. */
async function assemble(row: PlanRow, sources: RowSources): Promise<Tensor> {
  const shape = row.targetShape!;
  const out = await baseValues(row, row.init ?? { kind: 'default' }, sources);
  for (const block of row.blocks) {
    const tensor = sourceTensor(block.sourceKey, sources);
    copyBox(await readTensorAsFloat32(tensor), tensor.shape, block.sourceBox, out, shape, block.targetBox);
  }
  return tensorFromArray(out, shape, row.targetDType!);
}

/** Copies the elements of `fromBox` in a row-major `[from]` array into `toBox` of a row-major `[to]` array (boxes of equal extent). */
function copyBox(from: ArrayLike<number>, fromShape: number[], fromBox: Box, to: Float64Array, toShape: number[], toBox: Box): void {
  const rank = toShape.length;
  if (rank === 0) {
    to[0] = from[0]!;
    return;
  }
  const fromStride = rowMajorStride(fromShape);
  const toStride = rowMajorStride(toShape);
  const extent = toBox.map(([a, b]) => b - a);
  if (extent.some((e) => e === 0)) return;
  const index = new Array<number>(rank).fill(0);
  const last = rank - 1;
  for (;;) {
    let f = 0;
    let t = 0;
    for (let d = 0; d < last; d++) {
      f += (fromBox[d]![0] + index[d]!) * fromStride[d]!;
      t += (toBox[d]![0] + index[d]!) * toStride[d]!;
    }
    f += fromBox[last]![0];
    t += toBox[last]![0];
    for (let i = 0; i < extent[last]!; i++) to[t + i] = from[f + i]!;
    let d = last - 1;
    while (d >= 0 && ++index[d]! === extent[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

function rowMajorStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= shape[d]!;
  }
  return stride;
}
