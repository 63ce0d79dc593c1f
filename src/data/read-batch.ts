/**
 * Reads one training batch from the files: for each sample, the window's first To observation
 * frames and first Tp actions (robomimic `get_item` then `process_batch_for_training`), images
 * turned from uint8 into float in [0, 1] (robomimic's `process_frame` without its CHW transpose:
 * the tfjs model is channels-last), actions normalised and concatenated.
 */
import type { NormalizationStats } from './action-stats.ts';
import type { DataSpec } from './data-spec.ts';
import type { DemoFile } from './demo-file.ts';
import type { SampleRef } from './sequence-dataset.ts';
import { sequenceWindow } from './sequence-window.ts';

/** A host-side batch, ready to become tensors. */
export interface Batch {
  /** Per obs key: rgb `[B, To, H, W, C]` in [0, 1] (`[B, To, copies, h, w, C]` once randomized); low-dim `[B, To, D]`. */
  obs: Record<string, { shape: number[]; data: Float32Array }>;
  /** `[B, Tp, acDim]`, normalised. */
  actions: { shape: number[]; data: Float32Array };
  /** Where each row came from, for NaN reports. */
  refs: SampleRef[];
}

/** What `readBatch` needs, and all a worker thread needs to rebuild it. */
export interface BatchSource {
  files: DemoFile[];
  spec: DataSpec;
  actionNormalization: Map<string, NormalizationStats>;
  acDim: number;
}

/** Returns the batch for `refs`, reading only the rows each window touches. */
export function readBatch(source: BatchSource, refs: SampleRef[]): Batch {
  const { spec, files } = source;
  const To = spec.obsHorizon;
  const Tp = spec.predictionHorizon;
  const B = refs.length;
  const obs: Batch['obs'] = {};
  for (const key of spec.obsKeys) {
    const stored = files[0]!.obsShapes.get(key.name)!;
    const frame = stored.reduce((a, b) => a * b, 1);
    const shape = [B, To, ...(key.kind === 'rgb' ? stored : [frame])];
    obs[key.name] = { shape, data: new Float32Array(B * To * frame) };
  }
  const actions = new Float32Array(B * Tp * source.acDim);
  refs.forEach((ref, b) => {
    const file = files[ref.file]!;
    const length = file.demos.find((d) => d.name === ref.demo)!.length;
    const window = sequenceWindow(ref.t, length, spec.frameStack - 1, spec.seqLength);
    const obsFrames = window.frames.slice(0, To);
    for (const key of spec.obsKeys) {
      const target = obs[key.name]!;
      const rows = readFrames(file, ref.demo, `obs/${key.name}`, obsFrames);
      const frame = rows.frameSize;
      for (let t = 0; t < To; t++) {
        const src = rows.at(t);
        const dst = (b * To + t) * frame;
        // float(x) / 255 then clip to [0, 1] for images, as robomimic's process_frame; low-dim cast to float32.
        if (key.kind === 'rgb') for (let i = 0; i < frame; i++) target.data[dst + i] = Math.min(1, Math.max(0, src[i]! / 255));
        else for (let i = 0; i < frame; i++) target.data[dst + i] = src[i]!;
      }
    }
    writeActions(source, file, ref.demo, window.frames.slice(0, Tp), actions, b * Tp * source.acDim);
  });
  return { obs, actions: { shape: [B, Tp, source.acDim], data: actions }, refs };
}

/** Rows for `frames` (sorted, possibly repeated) read as one contiguous slice. */
function readFrames(file: DemoFile, demo: string, member: string, frames: number[]) {
  const begin = frames[0]!;
  const end = frames[frames.length - 1]! + 1;
  const data = file.readRows(demo, member, begin, end);
  const frameSize = data.length / (end - begin);
  return { frameSize, at: (i: number) => data.subarray((frames[i]! - begin) * frameSize, (frames[i]! - begin + 1) * frameSize) };
}

function writeActions(source: BatchSource, file: DemoFile, demo: string, frames: number[], out: Float32Array, offset: number): void {
  const { acDim, spec, actionNormalization } = source;
  let column = 0;
  for (const key of spec.actionKeys) {
    const { scale, offset: shift } = actionNormalization.get(key)!;
    const dim = scale.length;
    const rows = readFrames(file, demo, key, frames);
    frames.forEach((_, t) => {
      const src = rows.at(t);
      for (let d = 0; d < dim; d++) out[offset + t * acDim + column + d] = (src[d]! - shift[d]!) / scale[d]!;
    });
    column += dim;
  }
}
