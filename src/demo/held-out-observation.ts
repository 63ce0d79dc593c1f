/**
 * The demo's held-out observation: one `[1, To, …]` observation window cut from a demo the trainer
 * never sees (`mask/valid`), written as the dict `surgery predict --obs` reads, plus the actions the
 * demonstrator took from that step on, to compare the prediction with.
 */
import { tensorFromArray } from '../checkpoint/tensor-from-array.ts';
import type { PyValue } from '../checkpoint/types.ts';
import { pyDict } from '../checkpoint/py-value.ts';
import { writeCheckpoint } from '../checkpoint/write-checkpoint.ts';
import { openH5ReadOnly, requireDataset } from '../data/h5.ts';

export interface HeldOutRequest {
  /** LIBERO-format HDF5 file. */
  data: string;
  /** Group name under `data/`, e.g. `demo_3`. */
  demo: string;
  /** The current frame t; the window holds frames t−To+1 … t (clamped at 0, as robomimic pads). */
  step: number;
  obsKeys: string[];
  /** Observation horizon To. */
  frames: number;
  /** How many demo actions to return (the executed horizon Ta), from step t on (clamped at the episode end). */
  actions: number;
  /** Where to write the observation dict (.pth). */
  out: string;
}

/** Returns the demonstrator's actions `[Ta][ac]` from step t on, after writing the observation window to `out`. */
export async function writeHeldOutObservation(request: HeldOutRequest): Promise<number[][]> {
  const file = await openH5ReadOnly(request.data);
  try {
    const entries: [string, PyValue][] = request.obsKeys.map((key) => {
      const dataset = requireDataset(file, request.data, `data/${request.demo}/obs/${key}`);
      return [key, windowTensor(dataset, request)];
    });
    await writeCheckpoint(request.out, pyDict(entries), { format: 'torch-zip' });
    const actions = requireDataset(file, request.data, `data/${request.demo}/actions`);
    const [length, dim] = actions.shape as [number, number];
    return Array.from({ length: request.actions }, (_, i) => {
      const t = Math.min(request.step + i, length - 1);
      return Array.from(actions.slice([[t, t + 1]]) as Float64Array).slice(0, dim);
    });
  } finally {
    file.close();
  }
}

/** Frames t−To+1 … t of one obs dataset as a `[1, To, …]` tensor in the dataset's own dtype (uint8 HWC images stay raw). */
function windowTensor(dataset: ReturnType<typeof requireDataset>, request: HeldOutRequest) {
  const [, ...frameShape] = dataset.shape as number[];
  const frames = Array.from({ length: request.frames }, (_, i) => Math.max(0, request.step - request.frames + 1 + i));
  const parts = frames.map((t) => dataset.slice([[t, t + 1]]) as Uint8Array | Float64Array);
  const joined = parts[0] instanceof Uint8Array ? new Uint8Array(parts.length * parts[0].length) : new Float64Array(parts.length * parts[0]!.length);
  parts.forEach((part, i) => joined.set(part, i * part.length));
  return tensorFromArray(joined, [1, request.frames, ...frameShape], joined instanceof Uint8Array ? 'uint8' : 'float64');
}
