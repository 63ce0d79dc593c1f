/**
 * Access to the robomimic reference fixtures in ../shared/reference for model tests: parity files
 * read through our own checkpoint reader, and comparison helpers with the README's tolerances.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { openCheckpoint } from '../../src/checkpoint/open-checkpoint.ts';
import { getAtPath, isTensor } from '../../src/checkpoint/py-value.ts';
import { readTensorAsFloat32 } from '../../src/checkpoint/read-tensor.ts';
import type { Checkpoint, PyValue } from '../../src/checkpoint/types.ts';
import { REFERENCE_DIR } from '../support/reference.ts';

export const TINY = ['fork_droid_tiny', 'fork_libero_tiny', 'upstream_libero_tiny'] as const;
export type TinyName = (typeof TINY)[number];

/** README: "single forward passes … about 1e-5 relative". */
export const SINGLE_PASS_REL = 1e-5;
/** README: "10-step DDIM and 100-step DDPM trajectories: about 1e-4 absolute". */
export const TRAJECTORY_ABS = 1e-4;

export interface RefTensor {
  shape: number[];
  data: Float32Array;
}

/** An opened parity (or checkpoint) file with typed lookups by slash path. */
export class Reference {
  private constructor(readonly file: Checkpoint) {}

  static async open(fileName: string): Promise<Reference> {
    return new Reference(await openCheckpoint(REFERENCE_DIR + fileName));
  }

  value(path: string[]): PyValue | undefined {
    return getAtPath(this.file.root, path);
  }

  async tensor(path: string[]): Promise<RefTensor> {
    const t = this.value(path);
    assert.ok(isTensor(t), `no tensor at ${path.join('/')}`);
    return { shape: t.shape, data: await readTensorAsFloat32(t) };
  }

  /** A tf tensor of the reference value (float32). */
  async tf(path: string[]): Promise<tf.Tensor> {
    const t = await this.tensor(path);
    return tf.tensor(t.data, t.shape, 'float32');
  }
}

/** Largest |a − b| over all elements, after checking shapes agree (read asynchronously, as webgpu needs). */
export async function maxAbsDiff(got: tf.Tensor | Float32Array, want: RefTensor, label: string): Promise<number> {
  const data = got instanceof Float32Array ? got : ((await got.data()) as Float32Array);
  if (!(got instanceof Float32Array)) assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(data.length, want.data.length, `${label}: element count`);
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]! - want.data[i]!));
  return max;
}

/** Asserts the max error relative to the reference's largest magnitude is within `rel`. */
export async function assertClose(got: tf.Tensor | Float32Array, want: RefTensor, rel: number, label: string): Promise<void> {
  const scale = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  const err = (await maxAbsDiff(got, want, label)) / scale;
  assert.ok(err <= rel, `${label}: relative error ${err.toExponential(2)} exceeds ${rel}`);
}

/** Asserts the max absolute error is within `abs`. */
export async function assertAbsClose(got: tf.Tensor | Float32Array, want: RefTensor, abs: number, label: string): Promise<void> {
  const err = await maxAbsDiff(got, want, label);
  assert.ok(err <= abs, `${label}: absolute error ${err.toExponential(2)} exceeds ${abs}`);
}
